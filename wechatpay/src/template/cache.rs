//! Parsed templates, kept in a bounded cache so that a service formatting
//! order numbers into `chain()` strings does not grow without end.
//!
//! Two generations: lookups hit the young map, then the old one (and are
//! promoted); when the young map is full it becomes the old one and the
//! previous old one is dropped. Memory stays within twice the capacity, and
//! a template in steady use is never parsed twice.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::Template;
use crate::Error;

/// How many templates each generation holds. The documented API has about
/// 1,150 endpoints; a service uses a few dozen.
pub(crate) const CAPACITY: usize = 1024;

#[derive(Default)]
struct Generations {
    young: HashMap<Arc<str>, Arc<Template>>,
    old: HashMap<Arc<str>, Arc<Template>>,
}

/// A bounded map from template text to its parse.
pub(crate) struct TemplateCache {
    capacity: usize,
    generations: Mutex<Generations>,
}

impl Default for TemplateCache {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl TemplateCache {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            generations: Mutex::new(Generations::default()),
        }
    }

    /// The parse of `source`, from the cache or parsed now. Templates that
    /// do not parse are not kept: each call reports the error again.
    pub(crate) fn get(&self, source: &str) -> Result<Arc<Template>, Error> {
        if let Some(hit) = self.lookup(source) {
            return Ok(hit);
        }
        let parsed = Arc::new(Template::parse(source)?);
        self.insert(Arc::from(source), parsed.clone());
        Ok(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // Only whole-map operations happen under the lock; a panic elsewhere
        // cannot leave it half-changed.
        match self.generations.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn lookup(&self, source: &str) -> Option<Arc<Template>> {
        let mut g = self.lock();
        if let Some(t) = g.young.get(source) {
            return Some(t.clone());
        }
        let (key, t) = g.old.remove_entry(source)?;
        Self::push(&mut g, self.capacity, key, t.clone());
        Some(t)
    }

    fn insert(&self, key: Arc<str>, template: Arc<Template>) {
        let mut g = self.lock();
        Self::push(&mut g, self.capacity, key, template);
    }

    fn push(g: &mut Generations, capacity: usize, key: Arc<str>, template: Arc<Template>) {
        if g.young.len() >= capacity && !g.young.contains_key(&key) {
            g.old = std::mem::take(&mut g.young);
        }
        g.young.insert(key, template);
    }

    /// Templates held now, both generations.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_within_two_generations() {
        let cache = TemplateCache::with_capacity(8);
        for i in 0..10_000 {
            cache.get(&format!("v3/orders/{i}/{{x}}")).unwrap();
            assert!(cache.len() <= 16);
        }
    }

    #[test]
    fn templates_in_use_survive_churn() {
        let cache = TemplateCache::with_capacity(4);
        let hot = cache.get("v3/hot/{x}").unwrap();
        for i in 0..100 {
            cache.get(&format!("v3/cold/{i}")).unwrap();
            // Touching it every few inserts keeps it young.
            assert!(
                Arc::ptr_eq(&hot, &cache.get("v3/hot/{x}").unwrap()),
                "round {i}"
            );
        }
    }

    #[test]
    fn parse_errors_are_not_kept() {
        let cache = TemplateCache::with_capacity(4);
        assert!(cache.get("v3/{x").is_err());
        assert!(cache.get("v3/{x").is_err());
        assert_eq!(cache.len(), 0);
    }
}
