//! An optional, bounded, in-memory window of recently produced event ids: best-effort
//! removal of the exact repeats that Meta's retries put on the raw topic.
//!
//! The key is (output topic, `event-id` header). It is best-effort: the window is per
//! process, forgets the oldest ids past its capacity, starts empty after a restart, and two
//! normalize instances do not share it. Consumers that need exactly-once must still drop
//! duplicates by the same key.

use std::collections::{HashSet, VecDeque};

use wa_schemas::Topic;

/// The window.
#[derive(Debug)]
pub struct DedupWindow {
    capacity: usize,
    seen: HashSet<(Topic, String)>,
    order: VecDeque<(Topic, String)>,
}

impl DedupWindow {
    /// A window remembering the last `capacity` ids; 0 disables it.
    pub fn new(capacity: usize) -> Self {
        DedupWindow {
            capacity,
            seen: HashSet::with_capacity(capacity.min(1 << 20)),
            order: VecDeque::with_capacity(capacity.min(1 << 20)),
        }
    }

    /// Whether (topic, id) was seen; records it when not.
    pub fn check_and_insert(&mut self, topic: Topic, id: &str) -> bool {
        if self.capacity == 0 {
            return false;
        }
        let key = (topic, id.to_owned());
        if self.seen.contains(&key) {
            return true;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        self.seen.insert(key.clone());
        self.order.push_back(key);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_repeats_within_capacity_and_forgets_the_oldest() {
        let mut window = DedupWindow::new(2);
        assert!(!window.check_and_insert(Topic::Mo, "a"));
        assert!(window.check_and_insert(Topic::Mo, "a"));
        assert!(!window.check_and_insert(Topic::Delivery, "a"), "per topic");
        assert!(!window.check_and_insert(Topic::Mo, "b"));
        assert!(!window.check_and_insert(Topic::Mo, "a"), "a was forgotten");
    }

    #[test]
    fn disabled_window_keeps_everything() {
        let mut window = DedupWindow::new(0);
        assert!(!window.check_and_insert(Topic::Mo, "a"));
        assert!(!window.check_and_insert(Topic::Mo, "a"));
    }
}
