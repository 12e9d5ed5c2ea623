//! The dialogue module's page: channels, threads and compose forms.

use maud::{html, Markup};
use serde_json::Value;

use super::{error_for, Fault};
use crate::kit::form::csrf_field;
use crate::session::Signed;

/// The dialogue module's channels, their threads and compose forms.
pub(super) fn page(signed: &Signed, base: &str, state: &Value, fault: Option<&Fault>, who: &dyn Fn(&str) -> String) -> Markup {
    let channels = state["channels"].as_array().cloned().unwrap_or_default();
    let typed = |action: &str, about: &str| fault.filter(|f| f.action == action && f.about == about).map(|f| f.typed.clone()).unwrap_or_default();
    html! {
        @if channels.is_empty() { p { "No channels yet." } }
        @for c in &channels {
            @let cid = c["id"].as_str().unwrap_or_default();
            section.channel {
                h3 { (c["title"].as_str().unwrap_or("(untitled)")) }
                @if let Some(topic) = c["topic"].as_str() { p.hint { (topic) } }
                @let messages = c["messages"].as_array().cloned().unwrap_or_default();
                @let roots: Vec<&Value> = messages.iter().filter(|m| m["reply_to"].is_null()).collect();
                @for root in roots {
                    @let tid = root["id"].as_str().unwrap_or_default();
                    article.thread {
                        @for m in messages.iter().filter(|m| m["thread"].as_str() == Some(tid)) {
                            @let mid = m["id"].as_str().unwrap_or_default();
                            div.message {
                                p { strong { (who(m["author"].as_str().unwrap_or_default())) } " " small { (m["created"].as_str().unwrap_or_default()) } }
                                p { (m["text"].as_str().unwrap_or_default()) }
                                form method="post" action={ (base) "/actions/post-message" } {
                                    (csrf_field(signed))
                                    input type="hidden" name="channel" value=(cid);
                                    input type="hidden" name="reply_to" value=(mid);
                                    label for={ "reply-" (mid) } { "Reply" }
                                    input id={ "reply-" (mid) } type="text" name="text" value=(typed("post-message", mid));
                                    @if let Some(e) = error_for(fault, "post-message", mid, "text") { (e) }
                                    button type="submit" { "Reply" }
                                }
                            }
                        }
                    }
                }
                form.compose method="post" action={ (base) "/actions/post-message" } {
                    (csrf_field(signed))
                    input type="hidden" name="channel" value=(cid);
                    label for={ "text-" (cid) } { "New message" }
                    textarea id={ "text-" (cid) } name="text" rows="3" { (typed("post-message", cid)) }
                    @if let Some(e) = error_for(fault, "post-message", cid, "text") { (e) }
                    button type="submit" { "Post" }
                }
            }
        }
        h3 { "Open a channel" }
        form method="post" action={ (base) "/actions/create-channel" } {
            (csrf_field(signed))
            label for="channel-title" { "Title" }
            input id="channel-title" type="text" name="title" value=(typed("create-channel", ""));
            @if let Some(e) = error_for(fault, "create-channel", "", "title") { (e) }
            label for="channel-topic" { "Topic (optional)" }
            input id="channel-topic" type="text" name="topic";
            button type="submit" { "Open" }
        }
    }
}
