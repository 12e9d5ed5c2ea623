//! The node's own records in SQLite: partners, tokens, collections,
//! statuses, settings. Small tables, written rarely, through the writer's
//! connection so that they share its transactions' durability.

use rusqlite::{params, OptionalExtension};
use store::{Access, CollectionRecord, Error, PartnerRecord, PeerRecord, Registry, Result, Role, TokenRecord, UserRecord};

use crate::{sql_err, SqliteStore};

fn access_to_text(a: &Access) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| "\"all\"".into())
}

fn access_from_text(s: &str) -> rusqlite::Result<Access> {
    serde_json::from_str(s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    let role: String = r.get(4)?;
    Ok(TokenRecord {
        id: r.get(0)?,
        hash: r.get(1)?,
        partner: r.get(2)?,
        user: r.get(3)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        created: r.get(5)?,
        expires: r.get(6)?,
        revoked: r.get(7)?,
    })
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    let role: String = r.get(2)?;
    Ok(UserRecord {
        name: r.get(0)?,
        partner: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        password: r.get(3)?,
        created: r.get(4)?,
        disabled: r.get(5)?,
    })
}

impl SqliteStore {
    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize> {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let out = w.connection().execute(sql, p).map_err(sql_err);
        self.checkpointer.wrote();
        out
    }
}

impl Registry for SqliteStore {
    fn put_partner(&self, p: &PartnerRecord) -> Result<()> {
        self.exec(
            "INSERT INTO partners (id, name, hosted) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET name = ?2, hosted = ?3",
            params![p.id, p.name, p.hosted],
        )
        .map(|_| ())
    }

    fn partners(&self) -> Result<Vec<PartnerRecord>> {
        self.with_reader(|c| {
            let mut s = c.prepare_cached("SELECT id, name, hosted FROM partners ORDER BY name, id").map_err(sql_err)?;
            let rows = s
                .query_map([], |r| Ok(PartnerRecord { id: r.get(0)?, name: r.get(1)?, hosted: r.get(2)? }))
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
        })
    }

    fn put_token(&self, t: &TokenRecord) -> Result<()> {
        self.exec(
            "INSERT INTO tokens (id, hash, partner, user, role, created, expires, revoked)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![t.id, t.hash, t.partner, t.user, t.role.as_str(), t.created, t.expires, t.revoked],
        )
        .map(|_| ())
    }

    fn token(&self, id: &str) -> Result<Option<TokenRecord>> {
        self.with_reader(|c| {
            c.prepare_cached("SELECT id, hash, partner, user, role, created, expires, revoked FROM tokens WHERE id = ?")
                .and_then(|mut s| s.query_row([id], token_row).optional())
                .map_err(sql_err)
        })
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.with_reader(|c| {
            let mut s = c
                .prepare_cached("SELECT id, hash, partner, user, role, created, expires, revoked FROM tokens ORDER BY created DESC, id")
                .map_err(sql_err)?;
            let rows = s.query_map([], token_row).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
        })
    }

    fn revoke_token(&self, id: &str) -> Result<bool> {
        self.exec("UPDATE tokens SET revoked = 1 WHERE id = ?", [id]).map(|n| n > 0)
    }

    fn put_user(&self, u: &UserRecord) -> Result<()> {
        self.exec(
            "INSERT INTO users (name, partner, role, password, created, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (name) DO UPDATE SET partner = ?2, role = ?3, password = ?4, created = ?5, disabled = ?6",
            params![u.name, u.partner, u.role.as_str(), u.password, u.created, u.disabled],
        )
        .map(|_| ())
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        self.with_reader(|c| {
            c.prepare_cached("SELECT name, partner, role, password, created, disabled FROM users WHERE name = ?")
                .and_then(|mut s| s.query_row([name], user_row).optional())
                .map_err(sql_err)
        })
    }

    fn users(&self) -> Result<Vec<UserRecord>> {
        self.with_reader(|c| {
            let mut s = c.prepare_cached("SELECT name, partner, role, password, created, disabled FROM users ORDER BY name").map_err(sql_err)?;
            let rows = s.query_map([], user_row).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
        })
    }

    fn put_collection(&self, c: &CollectionRecord) -> Result<bool> {
        self.exec(
            "INSERT INTO collections (id, title, description, readers, writers) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
            params![c.id, c.title, c.description, access_to_text(&c.readers), access_to_text(&c.writers)],
        )
        .map(|n| n > 0)
    }

    fn collections(&self) -> Result<Vec<CollectionRecord>> {
        self.with_reader(|c| {
            let mut s = c
                .prepare_cached("SELECT id, title, description, readers, writers FROM collections ORDER BY title, id")
                .map_err(sql_err)?;
            let rows = s
                .query_map([], |r| {
                    Ok(CollectionRecord {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        description: r.get(2)?,
                        readers: access_from_text(&r.get::<_, String>(3)?)?,
                        writers: access_from_text(&r.get::<_, String>(4)?)?,
                    })
                })
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
        })
    }

    fn put_status(&self, id: &str, owner: &str, json: &[u8]) -> Result<()> {
        self.exec(
            "INSERT INTO statuses (id, owner, json) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET json = ?3 WHERE owner = ?2",
            params![id, owner, json],
        )
        .map(|_| ())
    }

    fn status(&self, id: &str) -> Result<Option<(String, Vec<u8>)>> {
        self.with_reader(|c| {
            c.prepare_cached("SELECT owner, json FROM statuses WHERE id = ?")
                .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(sql_err)
        })
    }

    fn pending_statuses(&self) -> Result<Vec<(String, String, Vec<u8>)>> {
        self.with_reader(|c| {
            let mut s = c.prepare_cached("SELECT id, owner, json FROM statuses WHERE instr(json, ?) > 0").map_err(sql_err)?;
            let rows = s.query_map([store::PENDING_MARK.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
        })
    }

    fn replace_status(&self, id: &str, was: &[u8], json: &[u8]) -> Result<bool> {
        self.exec("UPDATE statuses SET json = ?3 WHERE id = ?1 AND json = ?2", params![id, was, json]).map(|n| n > 0)
    }

    fn put_peer(&self, p: &PeerRecord) -> Result<bool> {
        self.exec(
            "INSERT INTO peers (id, url, partner, ca_pem, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            params![p.id, p.url, p.partner, p.ca_pem, p.created],
        )
        .map(|n| n > 0)
    }

    fn peers(&self) -> Result<Vec<PeerRecord>> {
        self.with_reader(|c| {
            let mut s =
                c.prepare_cached("SELECT id, url, partner, ca_pem, created FROM peers ORDER BY created, id").map_err(sql_err)?;
            let rows = s
                .query_map([], |r| {
                    Ok(PeerRecord { id: r.get(0)?, url: r.get(1)?, partner: r.get(2)?, ca_pem: r.get(3)?, created: r.get(4)? })
                })
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
        })
    }

    fn remove_peer(&self, id: &str) -> Result<bool> {
        self.exec("DELETE FROM peers WHERE id = ?", params![id]).map(|n| n > 0)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.with_reader(|c| {
            c.prepare_cached("SELECT value FROM settings WHERE key = ?")
                .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
                .map_err(sql_err)
        })
    }

    fn init_setting(&self, key: &str, value: &str) -> Result<String> {
        self.exec("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", params![key, value])?;
        self.setting(key)?.ok_or_else(|| Error::Internal(format!("setting {key} vanished")))
    }
}
