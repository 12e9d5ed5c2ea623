//! Unread messages per user: each user's read marks per channel, kept on
//! the node (registry settings, never synced), shown on the dialogue
//! page's channels and in the inbox; seeing the page marks them read. Two
//! users of one partner keep their own marks; the partner's own messages
//! and edits of read ones are not unread; a message written on a
//! partner's node before the user's last visit but pulled after it is.

use serde_json::{json, Value};

use crate::pair::pair;
use crate::web::{sign_in, Browser};
use crate::{call, on_both_backends, ratified_agreement, start, Backend, Node};

on_both_backends!(unread_messages_are_counted_per_user_and_channel);

/// Acts in the dialogue module of `agreement` as `token`: the record made.
async fn act(node: &Node, token: &str, agreement: &str, action: &str, input: Value) -> Value {
    let (s, v) = call(node, token, "POST", &format!("agreements/{agreement}/modules/dialogue/actions/{action}"), Some(input)).await;
    assert_eq!(s, 201, "{action}: {v}");
    v["record"].clone()
}

/// The inbox's unread rows: (channel title, count).
async fn inbox_unread(browser: &Browser<'_>) -> Vec<(String, u64)> {
    let (s, _, body) = browser.get("/inbox").await;
    assert_eq!(s, 200, "{body}");
    let Some(table) = body.split("<table class=\"unread\">").nth(1) else {
        assert!(body.contains("No unread messages."), "{body}");
        return Vec::new();
    };
    let table = table.split("</table>").next().unwrap();
    table
        .split("<tr>")
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.split("<td>").skip(1).map(|c| c.split("</td>").next().unwrap()).collect();
            let title = cells[0].split('>').nth(1).unwrap().split('<').next().unwrap().to_owned();
            (title, cells[1].parse().unwrap())
        })
        .collect()
}

/// The dialogue page's unread badges, in channel order.
async fn page_unread(browser: &Browser<'_>, agreement: &str) -> Vec<String> {
    let (s, _, body) = browser.get(&format!("/agreements/{agreement}/modules/dialogue")).await;
    assert_eq!(s, 200, "{body}");
    body.split("<span class=\"unread\">").skip(1).map(|b| b.split('<').next().unwrap().to_owned()).collect()
}

async fn unread_messages_are_counted_per_user_and_channel(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let ops = act(&node, &node.token_a, &agreement, "create-channel", json!({ "title": "ops <b>room</b>" })).await;
    act(&node, &node.token_a, &agreement, "create-channel", json!({ "title": "quiet" })).await;
    let first = act(&node, &node.token_b, &agreement, "post-message", json!({ "channel": ops["id"], "text": "one" })).await;
    act(&node, &node.token_b, &agreement, "post-message", json!({ "channel": ops["id"], "text": "two" })).await;
    act(&node, &node.token_a, &agreement, "post-message", json!({ "channel": ops["id"], "text": "ours" })).await;

    // Two users of A (two credentials), each with its own marks.
    let (a1, a2) = (sign_in(&node, &node.token_a).await, sign_in(&node, &node.viewer_a).await);
    let ops_title = "ops &lt;b&gt;room&lt;/b&gt;".to_owned();
    assert_eq!(inbox_unread(&a1).await, [(ops_title.clone(), 2)], "B's two messages, not A's own");
    assert_eq!(page_unread(&a1, &agreement).await, ["2 unread"], "the page shows what was unread before this view");
    assert_eq!(page_unread(&a1, &agreement).await, Vec::<String>::new(), "seen: read");
    assert_eq!(inbox_unread(&a1).await, []);
    assert_eq!(inbox_unread(&a2).await, [(ops_title.clone(), 2)], "the other user of A has read nothing");

    // A new message is unread; an edit of a read one is not.
    act(&node, &node.token_b, &agreement, "post-message", json!({ "channel": ops["id"], "text": "three" })).await;
    act(&node, &node.token_b, &agreement, "edit-message", json!({ "message": first["id"], "text": "one, edited" })).await;
    assert_eq!(inbox_unread(&a1).await, [(ops_title.clone(), 1)]);
    assert_eq!(inbox_unread(&a2).await, [(ops_title.clone(), 3)]);
    // The REST inbox gives the same per token.
    let (s, v) = call(&node, &node.viewer_a, "GET", "inbox", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["unread"][0]["thread"].as_str(), v["unread"][0]["unread"].as_u64(), v["unread"].as_array().map(Vec::len)), (ops["id"].as_str(), Some(3), Some(1)), "{v}");
    // And the Atom feed of the signed-in user.
    let (_, _, atom) = a2.get("/inbox.atom").await;
    assert!(atom.contains("<title type=\"text\">3 unread in ops &lt;b&gt;room&lt;/b&gt;</title>"), "{atom}");
    // A feed-only token made for a user of A reads that user's marks: the
    // user has read nothing, so all of B's three messages; one made for no
    // user of A lists none.
    let now = model::Timestamp::now().micros();
    let ana = node::auth::new_user("ana", &node.a, store::Role::Analyst, "a long enough password 1", now).unwrap();
    let ((for_ana, ana_token), (for_nobody, nobody_token)) = (server::auth::issue_feed(&node.a, "ana", now, None), server::auth::issue_feed(&node.a, "nobody", now, None));
    let registry = node.registry.clone();
    tokio::task::spawn_blocking(move || {
        registry.put_user(&ana).unwrap();
        registry.put_token(&ana_token).unwrap();
        registry.put_token(&nobody_token).unwrap();
    })
    .await
    .unwrap();
    let atom_of = |feed: String| {
        let url = format!("{}/inbox.atom", node.url);
        async move { reqwest::Client::new().get(url).bearer_auth(feed).send().await.unwrap().text().await.unwrap() }
    };
    let atom = atom_of(for_ana).await;
    assert!(atom.contains("3 unread in ops &lt;b&gt;room&lt;/b&gt;"), "{atom}");
    let atom = atom_of(for_nobody).await;
    assert!(atom.contains("<feed") && !atom.contains("unread in"), "{atom}");
    // B's own user: A's message is unread for it.
    let b = sign_in(&node, &node.token_b).await;
    assert_eq!(inbox_unread(&b).await, [(ops_title, 1)]);
    // The marks are the node's own settings, one per user and channel.
    let registry = node.registry.clone();
    let token_id = |t: &str| t[4..16].to_owned();
    let (k1, k2) = (node::marks::key(&token_id(&node.token_a), ops["id"].as_str().unwrap()), node::marks::key(&token_id(&node.viewer_a), ops["id"].as_str().unwrap()));
    let (m1, m2) = tokio::task::spawn_blocking(move || (registry.setting(&k1).unwrap(), registry.setting(&k2).unwrap())).await.unwrap();
    assert!(m1.is_some_and(|m| m.parse::<i64>().unwrap() > 0) && m2.is_none(), "per user");
}

/// A message B wrote on B's node before A's user last saw the channel on
/// A's node, pulled after that visit, is unread on A's node.
#[tokio::test]
async fn a_message_pulled_after_the_last_visit_is_unread_whenever_it_was_written() {
    let pair = pair().await;
    let (na, nb) = (&pair.a, &pair.b);
    let agreement = pair.agreement("A–B", &["indicator"]).await;
    let ops = act(na, &na.liaison[0], &agreement, "create-channel", json!({ "title": "ops" })).await;
    act(na, &na.liaison[0], &agreement, "post-message", json!({ "channel": ops["id"], "text": "hello from A" })).await;
    pair.sync().await;
    act(nb, &nb.liaison[0], &agreement, "post-message", json!({ "channel": ops["id"], "text": "written on B first" })).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // A's user sees the channel after B wrote, before the pull.
    let a = sign_in(na, &na.liaison[0]).await;
    assert_eq!(page_unread(&a, &agreement).await, Vec::<String>::new());
    assert_eq!(inbox_unread(&a).await, []);
    pair.sync().await;
    assert_eq!(inbox_unread(&a).await, [("ops".to_owned(), 1)], "arrived after the visit: unread");
    assert_eq!(page_unread(&a, &agreement).await, ["1 unread"]);
    assert_eq!(inbox_unread(&a).await, []);
}
