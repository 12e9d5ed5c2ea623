//! The node's own records in PostgreSQL: partners, tokens, collections,
//! statuses, settings.

use store::{Access, CollectionRecord, Error, PartnerRecord, PeerRecord, Registry, Result, Role, TokenRecord, UserRecord};

use crate::{pg_err, PgStore};

fn access_to_text(a: &Access) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| "\"all\"".into())
}

fn access_from_text(s: &str) -> Result<Access> {
    serde_json::from_str(s).map_err(|e| Error::Internal(format!("stored access list: {e}")))
}

fn token_row(r: &postgres::Row) -> TokenRecord {
    TokenRecord {
        id: r.get(0),
        hash: r.get(1),
        partner: r.get(2),
        user: r.get(3),
        role: Role::parse(r.get::<_, &str>(4)).unwrap_or(Role::Viewer),
        created: r.get(5),
        expires: r.get(6),
        revoked: r.get(7),
    }
}

fn user_row(r: &postgres::Row) -> UserRecord {
    UserRecord {
        name: r.get(0),
        partner: r.get(1),
        role: Role::parse(r.get::<_, &str>(2)).unwrap_or(Role::Viewer),
        password: r.get(3),
        created: r.get(4),
        disabled: r.get(5),
    }
}

const TOKEN_COLUMNS: &str = "id, hash, partner, \"user\", role, created, expires, revoked";

impl Registry for PgStore {
    fn put_partner(&self, p: &PartnerRecord) -> Result<()> {
        self.conn()?
            .execute(
                "INSERT INTO partners (id, name, hosted) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET name = $2, hosted = $3",
                &[&p.id, &p.name, &p.hosted],
            )
            .map(|_| ())
            .map_err(pg_err)
    }

    fn partners(&self) -> Result<Vec<PartnerRecord>> {
        let rows = self
            .conn()?
            .query("SELECT id, name, hosted FROM partners ORDER BY name COLLATE \"C\", id COLLATE \"C\"", &[])
            .map_err(pg_err)?;
        Ok(rows.iter().map(|r| PartnerRecord { id: r.get(0), name: r.get(1), hosted: r.get(2) }).collect())
    }

    fn put_token(&self, t: &TokenRecord) -> Result<()> {
        self.conn()?
            .execute(
                &format!("INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
                &[&t.id, &t.hash, &t.partner, &t.user, &t.role.as_str(), &t.created, &t.expires, &t.revoked],
            )
            .map(|_| ())
            .map_err(pg_err)
    }

    fn token(&self, id: &str) -> Result<Option<TokenRecord>> {
        let row = self
            .conn()?
            .query_opt(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"), &[&id])
            .map_err(pg_err)?;
        Ok(row.as_ref().map(token_row))
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows = self
            .conn()?
            .query(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created DESC, id"), &[])
            .map_err(pg_err)?;
        Ok(rows.iter().map(token_row).collect())
    }

    fn revoke_token(&self, id: &str) -> Result<bool> {
        let n = self.conn()?.execute("UPDATE tokens SET revoked = true WHERE id = $1", &[&id]).map_err(pg_err)?;
        Ok(n > 0)
    }

    fn put_collection(&self, c: &CollectionRecord) -> Result<bool> {
        let n = self
            .conn()?
            .execute(
                "INSERT INTO collections (id, title, description, readers, writers) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO NOTHING",
                &[&c.id, &c.title, &c.description, &access_to_text(&c.readers), &access_to_text(&c.writers)],
            )
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    fn collections(&self) -> Result<Vec<CollectionRecord>> {
        let rows = self
            .conn()?
            .query(
                "SELECT id, title, description, readers, writers FROM collections ORDER BY title COLLATE \"C\", id COLLATE \"C\"",
                &[],
            )
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                Ok(CollectionRecord {
                    id: r.get(0),
                    title: r.get(1),
                    description: r.get(2),
                    readers: access_from_text(r.get(3))?,
                    writers: access_from_text(r.get(4))?,
                })
            })
            .collect()
    }

    fn put_status(&self, id: &str, owner: &str, json: &[u8]) -> Result<()> {
        self.conn()?
            .execute(
                "INSERT INTO statuses (id, owner, json) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET json = $3 WHERE statuses.owner = $2",
                &[&id, &owner, &json],
            )
            .map(|_| ())
            .map_err(pg_err)
    }

    fn status(&self, id: &str) -> Result<Option<(String, Vec<u8>)>> {
        let row = self.conn()?.query_opt("SELECT owner, json FROM statuses WHERE id = $1", &[&id]).map_err(pg_err)?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    fn pending_statuses(&self) -> Result<Vec<(String, String, Vec<u8>)>> {
        let rows = self
            .conn()?
            .query("SELECT id, owner, json FROM statuses WHERE position($1::bytea IN json) > 0", &[&store::PENDING_MARK.as_bytes()])
            .map_err(pg_err)?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }

    fn replace_status(&self, id: &str, was: &[u8], json: &[u8]) -> Result<bool> {
        self.conn()?
            .execute("UPDATE statuses SET json = $3 WHERE id = $1 AND json = $2", &[&id, &was, &json])
            .map(|n| n > 0)
            .map_err(pg_err)
    }

    fn put_user(&self, u: &UserRecord) -> Result<()> {
        self.conn()?
            .execute(
                "INSERT INTO users (name, partner, role, password, created, disabled) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name) DO UPDATE SET partner = $2, role = $3, password = $4, created = $5, disabled = $6",
                &[&u.name, &u.partner, &u.role.as_str(), &u.password, &u.created, &u.disabled],
            )
            .map_err(pg_err)?;
        Ok(())
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        let row = self
            .conn()?
            .query_opt("SELECT name, partner, role, password, created, disabled FROM users WHERE name = $1", &[&name])
            .map_err(pg_err)?;
        Ok(row.as_ref().map(user_row))
    }

    fn users(&self) -> Result<Vec<UserRecord>> {
        let rows = self
            .conn()?
            .query("SELECT name, partner, role, password, created, disabled FROM users ORDER BY name COLLATE \"C\"", &[])
            .map_err(pg_err)?;
        Ok(rows.iter().map(user_row).collect())
    }

    fn put_peer(&self, p: &PeerRecord) -> Result<bool> {
        let n = self
            .conn()?
            .execute(
                "INSERT INTO peers (id, url, partner, ca_pem, created) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                &[&p.id, &p.url, &p.partner, &p.ca_pem, &p.created],
            )
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    fn peers(&self) -> Result<Vec<PeerRecord>> {
        let rows = self
            .conn()?
            .query("SELECT id, url, partner, ca_pem, created FROM peers ORDER BY created, id COLLATE \"C\"", &[])
            .map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| PeerRecord { id: r.get(0), url: r.get(1), partner: r.get(2), ca_pem: r.get(3), created: r.get(4) })
            .collect())
    }

    fn remove_peer(&self, id: &str) -> Result<bool> {
        let n = self.conn()?.execute("DELETE FROM peers WHERE id = $1", &[&id]).map_err(pg_err)?;
        Ok(n > 0)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = self.conn()?.query_opt("SELECT value FROM settings WHERE key = $1", &[&key]).map_err(pg_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn init_setting(&self, key: &str, value: &str) -> Result<String> {
        self.conn()?
            .execute("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", &[&key, &value])
            .map_err(pg_err)?;
        self.setting(key)?.ok_or_else(|| Error::Internal(format!("setting {key} vanished")))
    }
}
