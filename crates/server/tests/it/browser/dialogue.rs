//! The dialogue and objectives pages in a real browser, each party signed
//! in on its own node ([`crate::pair`]), records moving between the nodes
//! by real sync rounds, every text field carrying script payloads: on A's
//! node A's liaison opens a channel and posts, plans a meeting, writes the
//! minutes and approves them, gives B an action item and proposes an
//! objective whose KPI B reports; on B's node B's liaison replies in the
//! thread, approves the minutes (agreed), acknowledges the item, endorses
//! the objective and reports its KPI; back on A's node the minutes read
//! agreed, B's reply sits in A's thread and the objective is adopted, its
//! line chart drawn. No page runs anything, every control has a label; a
//! screenshot of each step lands in `target/browser/`.

use super::driver::Driver;
use super::{checked, main_text, sign_in, sign_out, submit};
use crate::pair::pair;
use crate::Node;

/// The screenshots' prefix.
const T: &str = "dialogue";

/// Opens `page?month=2026-01` on `node` (so that a form's redirect to
/// `page` is seen to land) and checks it.
async fn open(driver: &Driver, node: &Node, page: &str, step: &str, hostile: bool) {
    driver.goto(&format!("{}{page}?month=2026-01", node.url)).await;
    driver.wait_path(&format!("{page}?month=2026-01")).await;
    checked(driver, T, step, hostile).await;
}

#[tokio::test]
async fn minutes_agreed_and_a_thread_across_two_nodes_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let pair = pair().await;
    let (na, nb) = (&pair.a, &pair.b);
    let id = pair.agreement("A–B dialogue", &["indicator"]).await;
    let page = format!("/agreements/{id}/modules/dialogue");
    let objectives = format!("/agreements/{id}/modules/objectives");
    let hostile = crate::web::PAYLOADS.join(" ");
    let h = |what: &str| format!("{what} {hostile}");

    // On A's node: a channel and a message, a meeting with its minutes
    // approved by A, an action item for B, an objective B reports on.
    sign_in(&driver, na, &na.liaison[0]).await;
    open(&driver, na, &page, "a-before", false).await;
    submit(&driver, T, &page, "create-channel", &[("#channel-title", &h("coordination")), ("#channel-topic", &h("topic"))], "a-channel").await;
    open(&driver, na, &page, "a-compose", true).await;
    submit(&driver, T, &page, "post-message", &[("textarea[name='text']", &h("first message"))], "a-posted").await;
    open(&driver, na, &page, "a-plan", true).await;
    let plan = [
        ("#meeting-title", h("senior dialogue")),
        ("#meeting-type", "senior-dialogue".to_owned()),
        ("#meeting-date", "2026-01-15T10:00:00Z".to_owned()),
        ("#pname-0", h("head of delegation")),
        ("#prole-0", h("chair")),
        ("#pname-1", h("deputy director")),
        ("#prole-1", h("member")),
        ("#meeting-agenda", format!("{}\n{}", h("threat picture"), h("sensors"))),
    ];
    let plan: Vec<(&str, &str)> = plan.iter().map(|(k, v)| (*k, v.as_str())).collect();
    submit(&driver, T, &page, "record-meeting", &plan, "a-planned").await;
    open(&driver, na, &page, "a-minutes-form", true).await;
    driver.click(&driver.find("section.meeting details summary").await).await;
    let minutes = [("textarea[name='minutes']", h("the parties reviewed the threat picture")), ("textarea[name='decisions:list']", h("share sensor lists"))];
    let minutes: Vec<(&str, &str)> = minutes.iter().map(|(k, v)| (*k, v.as_str())).collect();
    submit(&driver, T, &page, "edit-meeting", &minutes, "a-minutes").await;
    assert!(main_text(&driver).await.contains("Minutes: awaiting approval"));
    open(&driver, na, &page, "a-approve", true).await;
    submit(&driver, T, &page, "approve-minutes", &[], "a-approved").await;
    let text = main_text(&driver).await;
    assert!(text.contains("Minutes: awaiting approval") && text.contains("Aurelia: approved this version") && text.contains("Boreas: awaiting its approval"), "{text}");
    open(&driver, na, &page, "a-item-form", true).await;
    let item = [("#item-description", h("circulate the sensor list")), ("#item-owner", nb.a.clone()), ("#item-due", "2099-01-01T00:00:00Z".to_owned())];
    let item: Vec<(&str, &str)> = item.iter().map(|(k, v)| (*k, v.as_str())).collect();
    submit(&driver, T, &page, "add-action-item", &item, "a-item").await;
    assert!(driver.try_find("article.item form.update input[value='acknowledge']").await.is_none(), "only the owner acknowledges");
    open(&driver, na, &objectives, "a-objective-form", false).await;
    let objective = [
        ("#objective-title", h("faster sharing")),
        ("#objective-description", h("why")),
        ("#kpi-name-0", h("hours to share")),
        ("#kpi-unit-0", h("hours")),
        ("#kpi-baseline-0", "12".to_owned()),
        ("#kpi-target-0", "4".to_owned()),
        ("#kpi-direction-0", "decrease".to_owned()),
        ("#kpi-due-0", "2099-01-01T00:00:00Z".to_owned()),
        ("#kpi-party-0", nb.a.clone()),
    ];
    let objective: Vec<(&str, &str)> = objective.iter().map(|(k, v)| (*k, v.as_str())).collect();
    submit(&driver, T, &objectives, "propose", &objective, "a-proposed").await;
    open(&driver, na, &objectives, "a-endorse", true).await;
    submit(&driver, T, &objectives, "endorse", &[], "a-endorsed").await;
    sign_out(&driver).await;

    // Both ways, by the real sync.
    let [to_a, to_b] = pair.sync().await;
    assert!(to_b.added >= 7 && to_b.refused.is_empty(), "B's node received A's records: {to_b:?}");
    assert!(to_a.refused.is_empty(), "{to_a:?}");

    // On B's node: a reply in A's thread, B's approval (agreed), B's
    // acknowledgement, B's endorsement and report.
    sign_in(&driver, nb, &nb.liaison[0]).await;
    open(&driver, nb, &page, "b-before", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains(&h("first message")) && text.contains(&h("coordination")), "A's channel reached B's node: {text}");
    assert!(text.contains("Aurelia: approved this version") && text.contains("Boreas: awaiting its approval"), "{text}");
    submit(&driver, T, &page, "post-message", &[("input[name='text']", &h("a reply"))], "b-replied").await;
    open(&driver, nb, &page, "b-approve", true).await;
    submit(&driver, T, &page, "approve-minutes", &[], "b-approved").await;
    let text = main_text(&driver).await;
    assert!(text.contains("Minutes: agreed") && text.matches("approved this version").count() == 2, "{text}");
    assert!(driver.try_find("form[action$='/approve-minutes']").await.is_none(), "nothing left to approve");
    open(&driver, nb, &page, "b-item", true).await;
    driver.set_value(&driver.find("article.item form.update:has(input[value='acknowledge']) input[name='text']").await, &h("on it")).await;
    driver.click(&driver.find("article.item form.update:has(input[value='acknowledge']) button").await).await;
    driver.wait_path(&page).await;
    checked(&driver, T, "b-acknowledged", true).await;
    let text = driver.text(&driver.find("section[aria-label='Open'] article.item").await).await;
    assert!(text.contains("acknowledged") && text.contains("circulate the sensor list"), "{text}");
    open(&driver, nb, &objectives, "b-endorse", true).await;
    submit(&driver, T, &objectives, "endorse", &[], "b-endorsed").await;
    open(&driver, nb, &objectives, "b-report", true).await;
    submit(&driver, T, &objectives, "report", &[("input[name='value:number']", "8"), ("input[name='note']", &h("note"))], "b-reported").await;
    let text = main_text(&driver).await;
    assert!(text.contains("adopted") && text.contains("50%"), "{text}");
    sign_out(&driver).await;

    let [to_a, _] = pair.sync().await;
    assert!(to_a.added >= 5 && to_a.refused.is_empty(), "A's node received B's records: {to_a:?}");

    // Back on A's node: agreed, B's reply in A's thread, the item
    // acknowledged, the objective adopted and charted.
    sign_in(&driver, na, &na.liaison[0]).await;
    open(&driver, na, &page, "a-agreed", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains("Minutes: agreed") && text.matches("approved this version").count() == 2, "{text}");
    let thread = driver.text(&driver.find("article.thread").await).await;
    assert!(thread.contains(&h("first message")) && thread.contains(&h("a reply")) && thread.contains("Boreas"), "B's reply in A's thread: {thread}");
    let item = driver.text(&driver.find("section[aria-label='Open'] article.item").await).await;
    assert!(item.contains("acknowledged"), "{item}");
    open(&driver, na, &objectives, "a-adopted", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains("adopted") && text.contains("50%"), "{text}");
    assert!(driver.try_find("figure.chart svg polyline.expected").await.is_some() && driver.try_find("figure.chart svg circle").await.is_some(), "the line chart");
}
