//! Short-lived shared state: sessions and throttling counters. Redis when
//! configured (so every node sees the same), in-process otherwise. Nothing
//! here holds personal data in plaintext: keys are hashes or ids.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

#[derive(Debug, thiserror::Error)]
#[error("key-value store error: {0}")]
pub struct KvError(String);

impl From<redis::RedisError> for KvError {
    fn from(e: redis::RedisError) -> Self {
        // The message names the command, never the value.
        KvError(e.category().to_string())
    }
}

#[derive(Clone)]
pub enum Kv {
    Memory(Arc<Mutex<HashMap<String, (String, Instant)>>>),
    Redis {
        conn: ConnectionManager,
        prefix: String,
    },
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kv::Memory(_) => f.write_str("Kv::Memory"),
            Kv::Redis { .. } => f.write_str("Kv::Redis"),
        }
    }
}

impl Kv {
    pub fn memory() -> Self {
        Kv::Memory(Arc::default())
    }

    /// Connects to Redis; `prefix` separates deployments (and tests) sharing
    /// one server.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, KvError> {
        let client = redis::Client::open(url)?;
        let conn = tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager())
            .await
            .map_err(|_| KvError("timed out connecting to Redis".into()))??;
        Ok(Kv::Redis {
            conn,
            prefix: prefix.to_string(),
        })
    }

    pub fn is_redis(&self) -> bool {
        matches!(self, Kv::Redis { .. })
    }

    fn memory_get(
        map: &Mutex<HashMap<String, (String, Instant)>>,
        key: &str,
    ) -> Option<(String, Instant)> {
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(key) {
            Some((_, expires)) if *expires <= Instant::now() => {
                map.remove(key);
                None
            }
            other => other.cloned(),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        match self {
            Kv::Memory(map) => Ok(Self::memory_get(map, key).map(|(v, _)| v)),
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                Ok(conn.get(format!("{prefix}{key}")).await?)
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), KvError> {
        let ttl = ttl.max(Duration::from_secs(1));
        match self {
            Kv::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                // Keep the in-process map from growing without bound.
                if map.len() > 100_000 {
                    let now = Instant::now();
                    map.retain(|_, (_, expires)| *expires > now);
                }
                map.insert(key.to_string(), (value.to_string(), Instant::now() + ttl));
                Ok(())
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let _: () = conn
                    .set_ex(format!("{prefix}{key}"), value, ttl.as_secs())
                    .await?;
                Ok(())
            }
        }
    }

    /// Sets the key only if it does not exist; true when it was set.
    pub async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, KvError> {
        let ttl = ttl.max(Duration::from_secs(1));
        match self {
            Kv::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                match map.get(key) {
                    Some((_, expires)) if *expires > now => Ok(false),
                    _ => {
                        map.insert(key.to_string(), (value.to_string(), now + ttl));
                        Ok(true)
                    }
                }
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let set: Option<String> = redis::cmd("SET")
                    .arg(format!("{prefix}{key}"))
                    .arg(value)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl.as_secs())
                    .query_async(&mut conn)
                    .await?;
                Ok(set.is_some())
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), KvError> {
        match self {
            Kv::Memory(map) => {
                map.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
                Ok(())
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let _: () = conn.del(format!("{prefix}{key}")).await?;
                Ok(())
            }
        }
    }

    /// Adds one to a counter that lives for `window` from its first use;
    /// returns the new count and the seconds left in the window.
    pub async fn hit(&self, key: &str, window: Duration) -> Result<(u64, u64), KvError> {
        match self {
            Kv::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let entry = map
                    .entry(key.to_string())
                    .or_insert_with(|| ("0".into(), now + window));
                if entry.1 <= now {
                    *entry = ("0".into(), now + window);
                }
                let count = entry.0.parse::<u64>().unwrap_or(0) + 1;
                entry.0 = count.to_string();
                Ok((
                    count,
                    entry.1.saturating_duration_since(now).as_secs().max(1),
                ))
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let key = format!("{prefix}{key}");
                let (count, ttl): (u64, i64) = redis::pipe()
                    .atomic()
                    .incr(&key, 1)
                    .cmd("EXPIRE")
                    .arg(&key)
                    .arg(window.as_secs())
                    .arg("NX")
                    .ignore()
                    .ttl(&key)
                    .query_async(&mut conn)
                    .await?;
                Ok((count, ttl.max(1) as u64))
            }
        }
    }

    /// The current count of a counter and the seconds left, without adding.
    pub async fn count(&self, key: &str) -> Result<(u64, u64), KvError> {
        match self {
            Kv::Memory(map) => Ok(Self::memory_get(map, key)
                .map(|(v, expires)| {
                    (
                        v.parse().unwrap_or(0),
                        expires
                            .saturating_duration_since(Instant::now())
                            .as_secs()
                            .max(1),
                    )
                })
                .unwrap_or((0, 0))),
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let key = format!("{prefix}{key}");
                let (count, ttl): (Option<u64>, i64) = redis::pipe()
                    .get(&key)
                    .ttl(&key)
                    .query_async(&mut conn)
                    .await?;
                Ok((count.unwrap_or(0), ttl.max(0) as u64))
            }
        }
    }

    pub async fn ping(&self) -> Result<(), KvError> {
        match self {
            Kv::Memory(_) => Ok(()),
            Kv::Redis { conn, .. } => {
                let mut conn = conn.clone();
                let _: String = redis::cmd("PING").query_async(&mut conn).await?;
                Ok(())
            }
        }
    }
}
