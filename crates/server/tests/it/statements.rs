//! The statements module through the kit's REST endpoints: bad input is
//! refused naming the property and nothing is stored; a statement passes
//! once both co-signers approved its exact latest version; an approval of
//! an earlier version is refused; C, no party, gets 404. The public page
//! and Atom feed, without sign-in, show only what the node's partner
//! co-signed and published (`node::public`).

use serde_json::json;

use crate::{call, on_both_backends, ratified_agreement, start, Backend};

on_both_backends!(a_statement_passes_over_rest_when_both_cosigners_approve, the_public_page_and_feed_show_only_what_the_nodes_partner_cosigned_and_published);

async fn a_statement_passes_over_rest_when_both_cosigners_approve(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let agreement = ratified_agreement(&node, "A–B partnership", &[0, 1], &[]).await;
    let base = format!("agreements/{agreement}/modules/statements");
    let draft = |cosigner: &str, embargo: &str| json!({ "title": "Joint <i>statement</i>", "text": "We condemn it.", "embargo": embargo, "cosigners": [cosigner], "submit": true });
    for (input, property) in [(draft(&node.c, "2099-01-01T00:00:00Z"), "`cosigner_refs[1]`"), (draft(&node.b, "2020-01-01T00:00:00Z"), "`embargo`")] {
        let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/draft-statement"), Some(input)).await;
        assert_eq!(s, 422, "{v}");
        assert!(v["description"].as_str().unwrap_or_default().contains(property), "{property}: {v}");
    }
    let (_, v) = call(&node, &node.token_a, "GET", &base, None).await;
    assert_eq!(v["records"], 0, "nothing stored: {v}");

    // A joint statement speaks for the party: an analyst may not draft one.
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/draft-statement"), Some(draft(&node.b, "2099-01-01T00:00:00Z"))).await;
    assert_eq!((s.as_u16(), v["description"].as_str()), (403, Some("statements draft-statement needs the liaison role or above")), "{v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/draft-statement"), Some(draft(&node.b, "2099-01-01T00:00:00Z"))).await;
    assert_eq!(s, 201, "{v}");
    let statement = v["record"]["id"].as_str().unwrap().to_owned();
    let first = v["record"]["modified"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/revise-statement"), Some(json!({ "statement": statement, "text": "We condemn it firmly." }))).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("{base}/actions/approve-statement"), Some(json!({ "statement": statement, "version": first }))).await;
    assert_eq!(s, 422, "an approval of an earlier version: {v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("`version`"), "{v}");
    for token in [&node.liaison[0], &node.liaison[1]] {
        let (s, v) = call(&node, token, "POST", &format!("{base}/actions/approve-statement"), Some(json!({ "statement": statement }))).await;
        assert_eq!(s, 201, "{v}");
    }
    for token in [&node.token_a, &node.token_b] {
        let (s, v) = call(&node, token, "GET", &base, None).await;
        assert_eq!(s, 200, "{v}");
        let st = &v["state"]["statements"][0];
        assert_eq!((st["stage"].as_str(), st["published"].as_bool()), (Some("passed"), Some(false)), "{v}");
        assert_eq!(st["text"], "We condemn it firmly.");
    }
    let (s, v) = call(&node, &node.liaison[2], "GET", &base, None).await;
    assert_eq!(s, 404, "{v}");
}


/// Anonymous GET of a public path: status, content type, body.
async fn anonymous(node: &crate::Node, path: &str) -> (reqwest::StatusCode, String, String) {
    let r = crate::web::client().get(format!("{}{path}", node.url)).send().await.unwrap();
    let kind = r.headers().get(reqwest::header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status(), kind, r.text().await.unwrap())
}

/// The public page and feed of node A (its partner Aurelia) without
/// sign-in: the one statement A co-signed and whose embargo came is there,
/// its hostile title escaped in the HTML and in the Atom XML; a draft, a
/// withdrawn statement, one still under embargo, one under an agreement A
/// is no party to and one A is party to but did not co-sign never are.
/// Each answer is one release-log entry to the public reader on channel
/// `public` naming what it handed out, and the log still verifies. A
/// correction replaces the public version once it passes, noted as such;
/// a withdrawal is published as one.
async fn the_public_page_and_feed_show_only_what_the_nodes_partner_cosigned_and_published(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let ab = ratified_agreement(&node, "A–B partnership", &[0, 1], &[]).await;
    let bc = ratified_agreement(&node, "B–C partnership", &[1, 2], &[]).await;
    let abc = ratified_agreement(&node, "A–B–C partnership", &[0, 1, 2], &[]).await;
    let (a, b, c) = (node.liaison[0].clone(), node.liaison[1].clone(), node.liaison[2].clone());
    let soon = model::Timestamp::from_micros(model::Timestamp::now().micros() + 8_000_000).to_string();
    let hostile = "<script>alert(1)</script> & \"Harbour\" \u{1}statement";
    let act = |agreement: &str, token: &str, action: &str, input: serde_json::Value| {
        let (node, path, token) = (&node, format!("agreements/{agreement}/modules/statements/actions/{action}"), token.to_owned());
        async move {
            let (s, v) = call(node, &token, "POST", &path, Some(input)).await;
            assert_eq!(s, 201, "{path}: {v}");
            v["record"]["id"].as_str().unwrap().to_owned()
        }
    };
    let draft = |title: &str, embargo: &str, cosigner: &str, submit: bool| {
        json!({ "title": title, "text": "The parties attribute the campaign to <b>Dark Harbour</b>.\n\nSecond paragraph.", "embargo": embargo,
                "languages": { "fr": { "title": "Déclaration <i>commune</i>", "text": "Les parties attribuent la campagne." } },
                "cosigners": [cosigner], "submit": submit })
    };
    // Published: drafted by A, approved by both, embargo in a few seconds.
    let published = act(&ab, &a, "draft-statement", draft(hostile, &soon, &node.b, true)).await;
    // A draft never submitted; one withdrawn after both approved; one far under embargo.
    let unsubmitted = act(&ab, &a, "draft-statement", draft("Unsubmitted draft", &soon, &node.b, false)).await;
    let withdrawn = act(&ab, &a, "draft-statement", draft("Withdrawn statement", &soon, &node.b, true)).await;
    let embargoed = act(&ab, &a, "draft-statement", draft("Embargoed statement", "2099-01-01T00:00:00Z", &node.b, true)).await;
    // Under B–C (A no party), and under A–B–C co-signed by B and C only.
    let elsewhere = act(&bc, &b, "draft-statement", draft("B and C speak", &soon, &node.c, true)).await;
    let without_a = act(&abc, &b, "draft-statement", draft("B and C without A", &soon, &node.c, true)).await;
    for s in [&published, &withdrawn, &embargoed] {
        for token in [&a, &b] {
            act(&ab, token, "approve-statement", json!({ "statement": s })).await;
        }
    }
    for token in [&b, &c] {
        act(&bc, token, "approve-statement", json!({ "statement": elsewhere })).await;
        act(&abc, token, "approve-statement", json!({ "statement": without_a })).await;
    }
    act(&ab, &a, "withdraw-statement", json!({ "statement": withdrawn })).await;

    // Before the embargo: nothing public, and nothing logged to the public.
    assert!(model::Timestamp::now().micros() < model::Timestamp::parse(&soon).unwrap().micros(), "the setup outlasted the embargo: make it later");
    let (s, _, html) = anonymous(&node, "/public/statements").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("No statement is published."), "{html}");
    let (s, _, _) = anonymous(&node, &format!("/public/statements/{published}")).await;
    assert_eq!(s, 404);
    let wait = model::Timestamp::parse(&soon).unwrap().micros() - model::Timestamp::now().micros();
    if wait > 0 {
        tokio::time::sleep(std::time::Duration::from_micros(wait as u64 + 300_000)).await;
    }
    // The state agrees: B–C's and A–B–C's statements are published too, on
    // the node, yet not A's to speak.
    let (_, v) = call(&node, &b, "GET", &format!("agreements/{bc}/modules/statements"), None).await;
    assert_eq!(v["state"]["statements"][0]["stage"], "published", "{v}");

    let (s, _, html) = anonymous(&node, "/public/statements").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(&format!("/public/statements/{published}")), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Harbour&quot;"), "{html}");
    assert!(!html.contains("<script>alert(1)"), "unescaped: {html}");
    assert!(html.contains("Aurelia, Borealis"), "co-signers by name: {html}");
    for (other, title) in [(&unsubmitted, "Unsubmitted"), (&withdrawn, "Withdrawn statement"), (&embargoed, "Embargoed"), (&elsewhere, "B and C speak"), (&without_a, "without A")] {
        assert!(!html.contains(other.as_str()) && !html.contains(title), "{title} is listed: {html}");
        let (s, _, page) = anonymous(&node, &format!("/public/statements/{other}")).await;
        assert_eq!(s, 404, "{title}: {page}");
    }

    let (s, _, page) = anonymous(&node, &format!("/public/statements/{published}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(!page.contains("<b>Dark Harbour</b>") && page.contains("&lt;b&gt;Dark Harbour&lt;/b&gt;"), "{page}");
    assert!(page.contains("Second paragraph.") && page.contains("Déclaration &lt;i&gt;commune&lt;/i&gt;") && page.contains("lang=\"fr\""), "{page}");
    // A's proposal and both approvals, each signed and checked with its key.
    assert_eq!(page.matches("signature verified by this node").count(), 3, "{page}");
    assert!(!page.contains("does not verify") && page.contains("Fingerprint") && page.contains("How to verify"), "{page}");

    // The Atom feed parses and holds exactly the published statement.
    let (s, kind, xml) = anonymous(&node, "/public/statements.atom").await;
    assert_eq!(s, 200, "{xml}");
    assert!(kind.starts_with("application/atom+xml"), "{kind}");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let feed = doc.root_element();
    assert_eq!((feed.tag_name().namespace(), feed.tag_name().name()), (Some(ATOM), "feed"));
    let child = |n: roxmltree::Node<'_, '_>, name: &str| n.children().find(|c| c.has_tag_name((ATOM, name))).map(|c| c.text().unwrap_or_default().to_owned());
    assert!(child(feed, "id").unwrap().starts_with("urn:uuid:"));
    assert!(child(feed, "title").unwrap().contains("Aurelia"));
    let entries: Vec<_> = feed.children().filter(|c| c.has_tag_name((ATOM, "entry"))).collect();
    assert_eq!(entries.len(), 1, "{xml}");
    let e = entries[0];
    assert_eq!(child(e, "title").unwrap(), "<script>alert(1)</script> & \"Harbour\" \u{FFFD}statement");
    assert_eq!(child(feed, "updated"), child(e, "updated"));
    assert!(model::Timestamp::parse(&child(e, "updated").unwrap()).is_ok());
    assert!(child(e, "id").unwrap().starts_with("urn:uuid:"));
    let authors: Vec<String> = e.children().filter(|c| c.has_tag_name((ATOM, "author"))).filter_map(|a| child(a, "name")).collect();
    assert_eq!(authors, ["Aurelia", "Borealis"]);
    let content = e.children().find(|c| c.has_tag_name((ATOM, "content"))).unwrap();
    assert_eq!(content.attribute("type"), Some("text"));
    assert!(content.text().unwrap().contains("<b>Dark Harbour</b>") && content.text().unwrap().contains("[fr] Déclaration <i>commune</i>"));

    // One entry per answer that released something (the list, the page,
    // the feed), to the public reader, naming the published version and
    // the approvals, none of what was not published; the log verifies.
    let log = std::fs::read_to_string(node.data_dir().join("release.log")).unwrap();
    let public: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).filter(|e| e["channel"] == "public").collect();
    assert_eq!(public.len(), 3, "{public:?}");
    // The list and the feed hand out the version; the page the approvals too.
    let sizes: Vec<usize> = public.iter().map(|e| e["items"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, [1, 3, 1], "{public:?}");
    for e in &public {
        assert_eq!(e["recipient"], node::public::READER);
        assert_eq!(e["decision"], "release");
        let items = e["items"].as_array().unwrap();
        assert_eq!(items[0]["object"], published.as_str());
        assert!(items.iter().all(|i| i["agreement"] == ab.as_str()), "{e}");
        for other in [&unsubmitted, &withdrawn, &embargoed, &elsewhere, &without_a] {
            assert!(!e.to_string().contains(other.as_str()), "{other} logged as public: {e}");
        }
    }
    let report = audit::verify(std::io::BufReader::new(std::fs::File::open(node.data_dir().join("release.log")).unwrap()));
    assert!(report.is_intact(), "{report:?}");

    // A correction: a new version both approve, public at once (its
    // embargo has come); the page notes the version it replaces, the feed
    // has a new entry for it.
    let first_id = child(e, "id").unwrap();
    act(&ab, &a, "revise-statement", json!({ "statement": published, "text": "The parties attribute the campaign to Dark Harbour, corrected." })).await;
    let page = anonymous(&node, &format!("/public/statements/{published}")).await.2;
    assert!(page.contains("&lt;b&gt;Dark Harbour&lt;/b&gt;"), "until the correction passes, the published version stays: {page}");
    assert!(!page.contains("corrected."), "{page}");
    for token in [&a, &b] {
        act(&ab, token, "approve-statement", json!({ "statement": published })).await;
    }
    let (s, _, page) = anonymous(&node, &format!("/public/statements/{published}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("Dark Harbour, corrected.") && page.contains("Corrected: this version replaces the version published on"), "{page}");
    let (_, _, xml) = anonymous(&node, "/public/statements.atom").await;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let entry = doc.root_element().children().find(|c| c.has_tag_name((ATOM, "entry"))).unwrap();
    assert!(child(entry, "title").unwrap().starts_with("Corrected: "), "{xml}");
    assert_ne!(child(entry, "id").unwrap(), first_id, "a correction is a new entry");
    // A withdrawal once published is published as such.
    act(&ab, &a, "withdraw-statement", json!({ "statement": published })).await;
    let (s, _, page) = anonymous(&node, &format!("/public/statements/{published}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("Withdrawn by its proposer on"), "{page}");
    let (_, _, html) = anonymous(&node, "/public/statements").await;
    assert!(html.contains("withdrawn"), "{html}");
    let (_, _, xml) = anonymous(&node, "/public/statements.atom").await;
    assert!(xml.contains("<title type=\"text\">Withdrawn: "), "{xml}");
}
