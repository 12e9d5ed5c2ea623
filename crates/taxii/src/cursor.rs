//! Stateless paging cursors for TAXII `next`: the position of the last item
//! served, bound to the query it came from and sealed with an HMAC, so the
//! server keeps no session, a cursor never expires, and a tampered cursor or
//! one reused with other filters is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const FORMAT: u8 = 1;
const TAG_LEN: usize = 16;
const BODY_LEN: usize = 1 + 8 + 8;

/// Why a cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor this server issued, or altered since.
    #[error("`next` is not a cursor this server issued (malformed or altered)")]
    Invalid,
    /// A cursor of another query (other filters or another collection).
    #[error("`next` belongs to another query; repeat the filters of the request that returned it")]
    OtherQuery,
}

/// Seals and opens cursors with the node's secret.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

fn fingerprint(context: &str) -> [u8; 8] {
    let digest = Sha256::digest(context.as_bytes());
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

impl CursorCodec {
    /// A codec keyed with the node's cursor secret.
    pub fn new(key: &[u8]) -> CursorCodec {
        CursorCodec { key: key.to_vec() }
    }

    fn tag(&self, body: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// Seals `position` (a `date_added` in microseconds) for the query `context`.
    pub fn seal(&self, position: i64, context: &str) -> String {
        let mut buf = Vec::with_capacity(BODY_LEN + TAG_LEN);
        buf.push(FORMAT);
        buf.extend_from_slice(&position.to_be_bytes());
        buf.extend_from_slice(&fingerprint(context));
        let tag = self.tag(&buf);
        buf.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// Opens a cursor for the query `context`, returning its position.
    pub fn open(&self, cursor: &str, context: &str) -> Result<i64, CursorError> {
        let buf = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| CursorError::Invalid)?;
        if buf.len() != BODY_LEN + TAG_LEN || buf[0] != FORMAT {
            return Err(CursorError::Invalid);
        }
        let (body, tag) = buf.split_at(BODY_LEN);
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body);
        mac.verify_truncated_left(tag).map_err(|_| CursorError::Invalid)?;
        if body[9..17] != fingerprint(context) {
            return Err(CursorError::OtherQuery);
        }
        let mut pos = [0; 8];
        pos.copy_from_slice(&body[1..9]);
        Ok(i64::from_be_bytes(pos))
    }
}
