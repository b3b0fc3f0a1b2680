//! Short-lived shared state: sessions and throttling counters. Redis when
//! configured (so every node sees the same), in-process otherwise. Nothing
//! here holds personal data in plaintext: keys are hashes or ids.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use crate::Clock;

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
    Memory(Arc<MemoryStore>),
    Redis {
        conn: ConnectionManager,
        prefix: String,
    },
}

/// Entries held in process at most; past it the ones closest to expiry go
/// first (they would soon anyway).
const MEMORY_CAPACITY: usize = 100_000;
/// How often, in the clock's time, expired entries are swept out.
const SWEEP_EVERY_MS: i64 = 10_000;

/// The in-process store: values with their expiry in the application's
/// clock (tests move it), swept as it is written to so that counters for
/// addresses and keys seen once do not pile up.
pub struct MemoryStore {
    clock: Clock,
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    entries: HashMap<String, (String, i64)>,
    next_sweep_ms: i64,
}

impl MemoryStore {
    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl MemoryState {
    /// The live value of a key; an expired one is dropped.
    fn live(&mut self, key: &str, now: i64) -> Option<&mut (String, i64)> {
        if self
            .entries
            .get(key)
            .is_some_and(|(_, expires)| *expires <= now)
        {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    /// Before a write: drops expired entries now and then, and keeps the
    /// map within its capacity.
    fn sweep(&mut self, now: i64) {
        if now < self.next_sweep_ms && self.entries.len() < MEMORY_CAPACITY {
            return;
        }
        self.next_sweep_ms = now + SWEEP_EVERY_MS;
        self.entries.retain(|_, (_, expires)| *expires > now);
        if self.entries.len() >= MEMORY_CAPACITY {
            let mut expiries: Vec<i64> = self.entries.values().map(|(_, e)| *e).collect();
            let keep_from = expiries.len() - MEMORY_CAPACITY * 9 / 10;
            let (_, cut, _) = expiries.select_nth_unstable(keep_from);
            let cut = *cut;
            self.entries.retain(|_, (_, expires)| *expires > cut);
        }
    }

    fn put(&mut self, key: &str, value: String, expires: i64, now: i64) {
        self.sweep(now);
        self.entries.insert(key.to_string(), (value, expires));
    }
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Whole seconds until `expires`, at least one.
fn secs_left(expires: i64, now: i64) -> u64 {
    u64::try_from((expires - now + 999) / 1000)
        .unwrap_or(0)
        .max(1)
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
    /// The in-process store, expiring by `clock`.
    pub fn memory(clock: Clock) -> Self {
        Kv::Memory(Arc::new(MemoryStore {
            clock,
            state: Mutex::default(),
        }))
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

    /// Entries held in process (`None` for Redis, which expires its own).
    pub fn memory_entries(&self) -> Option<usize> {
        match self {
            Kv::Memory(store) => Some(store.lock().entries.len()),
            Kv::Redis { .. } => None,
        }
    }

    pub fn is_redis(&self) -> bool {
        matches!(self, Kv::Redis { .. })
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        match self {
            Kv::Memory(store) => {
                let now = store.now_ms();
                Ok(store.lock().live(key, now).map(|(v, _)| v.clone()))
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                Ok(conn.get(format!("{prefix}{key}")).await?)
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), KvError> {
        let ttl = ttl.max(Duration::from_secs(1));
        match self {
            Kv::Memory(store) => {
                let now = store.now_ms();
                store
                    .lock()
                    .put(key, value.to_string(), now + ttl_ms(ttl), now);
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
            Kv::Memory(store) => {
                let now = store.now_ms();
                let mut state = store.lock();
                if state.live(key, now).is_some() {
                    return Ok(false);
                }
                state.put(key, value.to_string(), now + ttl_ms(ttl), now);
                Ok(true)
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
            Kv::Memory(store) => {
                store.lock().entries.remove(key);
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
        self.hit_by(key, 1, window).await
    }

    /// Adds `n` to such a counter (a costly request counts for several).
    pub async fn hit_by(&self, key: &str, n: u64, window: Duration) -> Result<(u64, u64), KvError> {
        match self {
            Kv::Memory(store) => {
                let now = store.now_ms();
                let mut state = store.lock();
                let (count, expires) = match state.live(key, now) {
                    Some((count, expires)) => (count.parse::<u64>().unwrap_or(0), *expires),
                    None => (0, now + ttl_ms(window)),
                };
                let count = count.saturating_add(n);
                state.put(key, count.to_string(), expires, now);
                Ok((count, secs_left(expires, now)))
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let key = format!("{prefix}{key}");
                let (count, ttl): (u64, i64) = redis::pipe()
                    .atomic()
                    .incr(&key, n)
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
            Kv::Memory(store) => {
                let now = store.now_ms();
                let mut state = store.lock();
                let (count, expires) = match state.live(key, now) {
                    Some((count, expires)) => (count.parse::<u64>().unwrap_or(0), *expires),
                    None => (0, now + ttl_ms(window)),
                };
                if count >= limit {
                    return Ok(Taken::No {
                        retry_after_secs: secs_left(expires, now),
                    });
                }
                state.put(key, (count + 1).to_string(), expires, now);
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
            Kv::Memory(store) => {
                let now = store.now_ms();
                if let Some(entry) = store.lock().live(key, now) {
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
            Kv::Memory(store) => {
                let now = store.now_ms();
                Ok(store
                    .lock()
                    .live(key, now)
                    .map(|(v, expires)| (v.parse().unwrap_or(0), secs_left(*expires, now)))
                    .unwrap_or((0, 0)))
            }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn memory_store_evicts_expired_windows() {
        let clock = Clock::system();
        let kv = Kv::memory(clock.clone());
        for i in 0..500 {
            kv.hit(&format!("rl:ip:{i}"), Duration::from_secs(60))
                .await
                .unwrap();
        }
        kv.set("sess:long", "x", Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(kv.memory_entries(), Some(501));
        assert_eq!(
            kv.hit("rl:ip:1", Duration::from_secs(60)).await.unwrap().0,
            2
        );
        clock.advance(chrono::Duration::seconds(61));
        // Expired windows are gone for readers at once…
        assert_eq!(kv.count("rl:ip:2").await.unwrap(), (0, 0));
        // …and from memory at the next write.
        let (count, left) = kv.hit("rl:ip:new", Duration::from_secs(60)).await.unwrap();
        assert_eq!((count, left), (1, 60));
        assert_eq!(
            kv.memory_entries(),
            Some(2),
            "the session and the new window"
        );
        assert_eq!(kv.get("sess:long").await.unwrap().as_deref(), Some("x"));
    }

    #[tokio::test]
    async fn memory_store_stays_within_its_capacity() {
        let kv = Kv::memory(Clock::system());
        for i in 0..(MEMORY_CAPACITY + 10) {
            kv.hit(&format!("k{i}"), Duration::from_secs(60 + (i % 7) as u64))
                .await
                .unwrap();
        }
        assert!(kv.memory_entries().unwrap() <= MEMORY_CAPACITY);
    }

    #[tokio::test]
    async fn counters_add_costs_and_reset_with_their_window() {
        let clock = Clock::system();
        let kv = Kv::memory(clock.clone());
        assert_eq!(
            kv.hit_by("c", 5, Duration::from_secs(60)).await.unwrap().0,
            5
        );
        assert_eq!(kv.hit("c", Duration::from_secs(60)).await.unwrap().0, 6);
        clock.advance(chrono::Duration::seconds(30));
        assert_eq!(kv.count("c").await.unwrap(), (6, 30));
        clock.advance(chrono::Duration::seconds(31));
        assert_eq!(kv.hit("c", Duration::from_secs(60)).await.unwrap().0, 1);
        assert!(
            kv.set_if_absent("once", "1", Duration::from_secs(5))
                .await
                .unwrap()
        );
        assert!(
            !kv.set_if_absent("once", "1", Duration::from_secs(5))
                .await
                .unwrap()
        );
        clock.advance(chrono::Duration::seconds(6));
        assert!(
            kv.set_if_absent("once", "1", Duration::from_secs(5))
                .await
                .unwrap()
        );
    }
}
