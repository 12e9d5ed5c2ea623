//! A long dialogue channel on its page: the newest 20 messages shown, with
//! a link to the whole channel a page of 100 at a time (every version, in
//! the order this node received them, by the store's index of what
//! records name); a party outside a channel of some parties pages through
//! nothing of it. And the compose form's TLP and references.

use serde_json::json;

use crate::web::sign_in;
use crate::{call, ratified_agreement, start, Backend};

#[tokio::test]
async fn a_long_channel_shows_its_newest_messages_and_pages_through_the_rest() {
    let node = start(Backend::Sqlite, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B–C", &[0, 1, 2], &["indicator"]).await;
    let act = |token: String, action: &'static str, input: serde_json::Value| {
        let (node, path) = (&node, format!("agreements/{agreement}/modules/dialogue/actions/{action}"));
        async move {
            let (s, v) = call(node, &token, "POST", &path, Some(input)).await;
            assert_eq!(s, 201, "{action}: {v}");
            v["record"].clone()
        }
    };
    // A channel of A and B alone, 130 messages in it, the first edited once.
    let channel = act(node.liaison[0].clone(), "create-channel", json!({ "title": "long", "members": [node.b] })).await;
    let cid = channel["id"].as_str().unwrap().to_owned();
    let mut first = None;
    for n in 1..=130 {
        let token = node.liaison[n % 2].clone();
        let m = act(token, "post-message", json!({ "channel": cid, "text": format!("message number {n:03}.") })).await;
        first.get_or_insert(m);
    }
    act(node.liaison[1].clone(), "edit-message", json!({ "message": first.unwrap()["id"], "text": "message number 001, edited." })).await;

    let a = sign_in(&node, &node.liaison[0]).await;
    let page = format!("/agreements/{agreement}/modules/dialogue");
    let (s, _, body) = a.get(&page).await;
    assert_eq!(s, 200);
    let shown: Vec<usize> = (1..=130).filter(|n| body.contains(&format!("message number {n:03}."))).collect();
    assert_eq!(shown, (111..=130).collect::<Vec<_>>(), "the newest 20");
    assert!(body.contains("The newest 20 of 130 messages."), "{body}");
    let link = format!("{page}?channel={cid}#channel-page");
    assert!(body.contains(&format!("href=\"{link}\"")), "the link to older messages");

    // Page after page: 100 versions, then the 31 left (130 messages and an edit).
    let mut url = format!("{page}?channel={cid}");
    let mut pages = Vec::new();
    loop {
        let (s, _, body) = a.get(&url).await;
        assert_eq!(s, 200, "{url}");
        let section = body.split("id=\"channel-page\"").nth(1).expect("the channel's page").split("</section>").next().unwrap().to_owned();
        let on_page = section.matches("<li>").count();
        let next = section.split("&amp;after=").nth(1).map(|r| r.split('#').next().unwrap().to_owned());
        pages.push((on_page, section.contains("message number 001."), section.contains("message number 001, edited."), section.contains("message number 130.")));
        match next {
            Some(after) => url = format!("{page}?channel={cid}&after={after}"),
            None => break,
        }
        assert!(pages.len() < 5, "no end");
    }
    assert_eq!(pages, [(100, true, false, false), (31, false, true, true)], "oldest first, each version once");

    // C is a party to the agreement, not a member of the channel: no page shows it a message.
    let c = sign_in(&node, &node.liaison[2]).await;
    let (s, _, body) = c.get(&format!("{page}?channel={cid}")).await;
    assert_eq!(s, 200);
    assert!(!body.contains("message number") && body.contains("No message on this page."), "{body}");
}

/// Through the compose form: a message with a TLP marking and a reference
/// to an intelligence object shows both (the reference a link to the
/// object's own page, which the release decision guards); an edit is
/// marked; a marking above the agreement's ceiling comes back 422 with
/// the property named next to the form, the text kept.
#[tokio::test]
async fn a_message_with_tlp_and_a_reference_through_the_compose_form() {
    let node = start(Backend::Sqlite, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let base = format!("agreements/{agreement}/modules/dialogue/actions");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/create-channel"), Some(json!({ "title": "ops" }))).await;
    assert_eq!(s, 201, "{v}");
    let cid = v["record"]["id"].as_str().unwrap().to_owned();
    let a = sign_in(&node, &node.liaison[0]).await;
    let page = format!("/agreements/{agreement}/modules/dialogue");
    let (_, _, body) = a.get(&page).await;
    let csrf = crate::web::csrf_of(&body);
    let object = "indicator--6b1f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let form = [("csrf", csrf.as_str()), ("channel", &cid), ("text", "see this"), ("tlp", "green"), ("object_refs:list", object)];
    let r = a.post(&format!("{page}/actions/post-message"), &form).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, _, body) = a.get(&page).await;
    assert!(body.contains("TLP:GREEN") && body.contains(&format!("href=\"/intel/{object}\"")), "{body}");
    assert!(!body.contains("(edited)"));
    let (_, records) = call(&node, &node.liaison[0], "GET", &format!("agreements/{agreement}/modules/dialogue/records?kind=x-entente-message"), None).await;
    let message = records["records"][0]["id"].as_str().unwrap().to_owned();
    // The author's own Edit form (B's page has none for A's message).
    assert!(body.contains(&format!("id=\"edit-{message}\"")), "{body}");
    let b = sign_in(&node, &node.liaison[1]).await;
    assert!(!b.get(&page).await.2.contains("/actions/edit-message"), "only the author edits");
    let form = [("csrf", csrf.as_str()), ("message", &message), ("text", "see this, please")];
    let r = a.post(&format!("{page}/actions/edit-message"), &form).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, _, body) = a.get(&page).await;
    assert!(body.contains("(edited)") && body.contains("see this, please"), "{body}");
    // An empty text is refused next to the edit form.
    let form = [("csrf", csrf.as_str()), ("message", &message), ("text", " ")];
    let r = a.post(&format!("{page}/actions/edit-message"), &form).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Check the field <code>text</code>"));

    // Above the ceiling (amber): refused, named, nothing stored, the text kept.
    let form = [("csrf", csrf.as_str()), ("channel", &cid), ("text", "too hot"), ("tlp", "red")];
    let r = a.post(&format!("{page}/actions/post-message"), &form).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Check the field <code>object_marking_refs[0]</code>") && body.contains("too hot"), "{body}");
    let (_, records) = call(&node, &node.liaison[0], "GET", &format!("agreements/{agreement}/modules/dialogue/records?kind=x-entente-message"), None).await;
    assert_eq!(records["records"].as_array().unwrap().len(), 2, "two versions of one message, nothing more");

    // Retracted through its form: it leaves the channel.
    let r = a.post(&format!("{page}/actions/retract-message"), &[("csrf", csrf.as_str()), ("message", &message)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, _, body) = a.get(&page).await;
    assert!(!body.contains("see this, please"), "{body}");
}
