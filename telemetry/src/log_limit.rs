//! A budget for warnings a flood could repeat (bad requests in ingest, failed media copies
//! in normalize): it must not write hundreds of megabytes of logs. Past the budget, lines
//! are counted instead, and the next line logged says how many were suppressed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines allowed per window.
#[derive(Debug)]
pub struct LogLimit {
    per_window: u32,
    window: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    started: Instant,
    logged: u32,
    suppressed: u64,
}

impl LogLimit {
    /// At most `per_window` lines per `window`.
    pub fn new(per_window: u32, window: Duration) -> Self {
        LogLimit {
            per_window,
            window,
            state: Mutex::new(State {
                started: Instant::now(),
                logged: 0,
                suppressed: 0,
            }),
        }
    }

    /// `Some(n)` when this line may be logged, `n` lines having been suppressed since the
    /// last one logged; `None` when it must be suppressed.
    pub fn admit(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.started.elapsed() >= self.window {
            state.started = Instant::now();
            state.logged = 0;
        }
        if state.logged >= self.per_window {
            state.suppressed += 1;
            return None;
        }
        state.logged += 1;
        Some(std::mem::take(&mut state.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_past_the_budget_are_counted_and_reported_with_the_next() {
        let limit = LogLimit::new(2, Duration::from_millis(50));
        assert_eq!(limit.admit(), Some(0));
        assert_eq!(limit.admit(), Some(0));
        assert_eq!(limit.admit(), None);
        assert_eq!(limit.admit(), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(limit.admit(), Some(2));
        assert_eq!(limit.admit(), Some(0));
    }
}
