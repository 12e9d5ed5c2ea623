//! The body rule's parts: the budget, a ticket's counting and its refusals,
//! and the limit of each route.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};

use super::{limit_for, Budget, Held, Metered, Refusal, Ticket, SIGN_IN_LIMIT};

fn ticket(budget: &Arc<Budget>, limit: u64) -> Arc<Ticket> {
    Arc::new(Ticket { budget: budget.clone(), limit, state: Mutex::new(Held::default()) })
}

/// A body that arrives in `chunks`.
struct Chunks(std::collections::VecDeque<Bytes>);

impl axum::body::HttpBody for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// A body of `chunks`, counted against `ticket`, read whole.
async fn read(ticket: &Arc<Ticket>, chunks: &[usize]) -> Result<Bytes, axum::Error> {
    let inner = Body::new(Chunks(chunks.iter().map(|n| Bytes::from(vec![b'x'; *n])).collect()));
    let body = Body::new(Metered { inner, ticket: ticket.clone(), patience: super::IDLE, idle: None });
    axum::body::to_bytes(body, usize::MAX).await
}

#[test]
fn a_budget_holds_at_most_its_cap() {
    let b = Budget::new(10);
    assert!(b.take(6));
    assert!(!b.take(5), "6 + 5 is over 10");
    assert!(b.take(4));
    assert_eq!(b.in_flight(), 10);
    b.give(10);
    assert_eq!(b.in_flight(), 0);
}

#[test]
fn a_ticket_counts_within_its_limit_and_gives_back_what_it_held() {
    let budget = Arc::new(Budget::new(100));
    let t = ticket(&budget, 50);
    assert_eq!(t.read(30), Ok(()));
    assert_eq!(budget.in_flight(), 30);
    assert_eq!(t.read(21), Err(Refusal::TooLarge), "51 is over the limit of 50");
    assert_eq!(t.refused(), Some(Refusal::TooLarge));
    let other = ticket(&budget, 100);
    assert_eq!(other.read(70), Ok(()));
    assert_eq!(other.read(1), Err(Refusal::Busy), "30 + 71 is over the budget of 100");
    drop(t);
    assert_eq!(budget.in_flight(), 70, "a ticket gives back what it held when dropped");
    drop(other);
    assert_eq!(budget.in_flight(), 0);
}

#[tokio::test]
async fn a_body_is_cut_off_at_its_limit_or_the_budget() {
    let budget = Arc::new(Budget::new(1000));
    let t = ticket(&budget, 500);
    assert_eq!(read(&t, &[200, 300]).await.unwrap().len(), 500, "exactly the limit is read");
    assert_eq!(budget.in_flight(), 500, "held until the request is answered");
    let over = ticket(&budget, 500);
    assert!(read(&over, &[200, 200, 200]).await.is_err());
    assert_eq!(over.refused(), Some(Refusal::TooLarge));
    drop(over);
    let busy = ticket(&budget, 1000);
    assert!(read(&busy, &[400, 400]).await.is_err(), "500 held + 800 is over the budget");
    assert_eq!(busy.refused(), Some(Refusal::Busy));
    drop((t, busy));
    assert_eq!(budget.in_flight(), 0);
}

/// A body that has sent its first part and then never another.
struct Stalled(bool);

impl axum::body::HttpBody for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if std::mem::replace(&mut self.0, true) {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"{\"observations\": [")))))
        }
    }
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_let_go() {
    let budget = Arc::new(Budget::new(1000));
    let t = ticket(&budget, 1000);
    let patience = std::time::Duration::from_millis(50);
    let body = Body::new(Metered { inner: Body::new(Stalled(false)), ticket: t.clone(), patience, idle: None });
    assert!(axum::body::to_bytes(body, usize::MAX).await.is_err());
    assert_eq!(t.refused(), Some(Refusal::Idle));
    drop(t);
    assert_eq!(budget.in_flight(), 0, "what it held is given back");
}

#[test]
fn the_sign_in_forms_have_their_own_small_limit() {
    assert_eq!(limit_for("/login", 1 << 30), SIGN_IN_LIMIT);
    assert_eq!(limit_for("/logout", 1 << 30), SIGN_IN_LIMIT);
    assert_eq!(limit_for("/login", 100), 100, "never above the node's maximum");
    assert_eq!(limit_for("/api/v1/objects", 1 << 30), 1 << 30);
    assert_eq!(limit_for("/workbench/validate", 1 << 30), 1 << 30);
}
