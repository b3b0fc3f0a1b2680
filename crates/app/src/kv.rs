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

/// The answer of [`Kv::take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Yes,
    /// Every use of the window is taken.
    No {
        retry_after_secs: u64,
    },
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

    /// Takes one of `limit` uses of `key` within `window` (counted from the
    /// first use), in one atomic step: the counter never passes the limit,
    /// so callers racing each other cannot take more between them than it
    /// allows (a check followed by a separate update could).
    pub async fn take(&self, key: &str, limit: u64, window: Duration) -> Result<Taken, KvError> {
        let window = window.max(Duration::from_secs(1));
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
                let left = entry.1.saturating_duration_since(now).as_secs().max(1);
                let count = entry.0.parse::<u64>().unwrap_or(0);
                if count >= limit {
                    return Ok(Taken::No {
                        retry_after_secs: left,
                    });
                }
                entry.0 = (count + 1).to_string();
                Ok(Taken::Yes)
            }
            Kv::Redis { conn, prefix } => {
                // One script runs atomically in Redis: read, compare, add.
                const TAKE: &str = "\
                    local n = tonumber(redis.call('GET', KEYS[1]) or '0') \
                    if n < tonumber(ARGV[1]) then redis.call('INCR', KEYS[1]) end \
                    if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end \
                    return {n < tonumber(ARGV[1]) and 1 or 0, redis.call('TTL', KEYS[1])}";
                let mut conn = conn.clone();
                let (taken, ttl): (i64, i64) = redis::cmd("EVAL")
                    .arg(TAKE)
                    .arg(1)
                    .arg(format!("{prefix}{key}"))
                    .arg(limit)
                    .arg(window.as_secs())
                    .query_async(&mut conn)
                    .await?;
                Ok(if taken == 1 {
                    Taken::Yes
                } else {
                    Taken::No {
                        retry_after_secs: ttl.max(1) as u64,
                    }
                })
            }
        }
    }

    /// Gives back one use taken with [`Kv::take`] (an attempt that turned
    /// out not to count), keeping the window.
    pub async fn give_back(&self, key: &str) -> Result<(), KvError> {
        match self {
            Kv::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(entry) = map.get_mut(key)
                    && entry.1 > Instant::now()
                {
                    let count = entry.0.parse::<u64>().unwrap_or(0);
                    entry.0 = count.saturating_sub(1).to_string();
                }
                Ok(())
            }
            Kv::Redis { conn, prefix } => {
                // Never below zero, and never a key without its expiry.
                const GIVE_BACK: &str = "\
                    if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then \
                    redis.call('DECR', KEYS[1]) end return 0";
                let mut conn = conn.clone();
                let _: i64 = redis::cmd("EVAL")
                    .arg(GIVE_BACK)
                    .arg(1)
                    .arg(format!("{prefix}{key}"))
                    .query_async(&mut conn)
                    .await?;
                Ok(())
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
