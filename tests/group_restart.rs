//! A normalize instance killed with SIGKILL and restarted by its supervisor resumes its
//! partitions at once when instances split them with `ASSIGN_PARTITIONS`, on standalone
//! Tansu too.
//!
//! Measured on Tansu 0.6.0 in a consumer group: a member killed with SIGKILL keeps its
//! partitions (the broker never evicts it), and an instance restarted faster than the
//! session timeout was left with none for over 300 s; with static membership
//! (`group.instance.id`) the group rebalanced every session timeout and produced nothing in
//! 90 s. Assigned partitions do not depend on the group coordinator.

mod support;

use std::time::{Duration, Instant};

use support::*;

fn start_member(broker: &Broker, name: &str, partitions: &str) -> Proc {
    Proc::spawn(
        name,
        &["normalize"],
        &[
            ("KAFKA_BROKERS", broker.bootstrap.as_str()),
            ("GROUP_ID", "e2e-static"),
            ("ASSIGN_PARTITIONS", partitions),
            ("SESSION_TIMEOUT", "6s"),
            ("COMMIT_INTERVAL", "200ms"),
        ],
    )
}

fn consuming(member: &Proc) -> bool {
    member.log().contains("consuming the assigned partitions")
}

#[test]
fn a_member_killed_and_restarted_resumes_its_assigned_partitions() {
    let _serial = serial();
    let broker = Broker::start("static", 4);
    let (_ingest, url) = start_ingest(&broker, &[]);
    let one = start_member(&broker, "normalize-static-one", "0-1");
    let mut two = start_member(&broker, "normalize-static-two", "2,3");
    let both = wait_until(Duration::from_secs(60), || {
        (consuming(&one) && consuming(&two)).into_option()
    });
    assert!(both.is_some(), "both joined\n{}\n{}", one.log(), two.log());

    let bodies = text_bodies(5000, 240, ("30654035000", 11), ("1557", 48));
    let want = expected_ids_of(&bodies);
    for body in &bodies[..120] {
        assert_eq!(post_signed(&url, body).status, 200);
    }
    two.signal("KILL");
    two.kill();
    // A supervisor restarts it at once, well within the session timeout.
    let restarted = Instant::now();
    let two = start_member(&broker, "normalize-static-two-again", "2,3");
    for body in &bodies[120..] {
        assert_eq!(post_signed(&url, body).status, 200);
    }
    let (_, got) = read_until_all(
        &broker.bootstrap,
        "whatsapp.mo",
        &want,
        Duration::from_secs(90),
        Duration::from_secs(120),
    );
    eprintln!(
        "240 answered 200; {} distinct MO records out {:?} after the restart",
        got.len(),
        restarted.elapsed()
    );
    let logs = format!(
        "after the restart\n--- one\n{}\n--- two\n{}",
        one.log(),
        two.log()
    );
    assert_all_arrived(&got, &want, &logs);
    assert_eq!(got.len(), 240);
}

#[test]
fn a_partition_the_topic_does_not_have_is_refused_at_startup() {
    let _serial = serial();
    let broker = Broker::start("assign-missing", 2);
    let mut member = start_member(&broker, "normalize-assign-missing", "0,5");
    let exited = wait_until(Duration::from_secs(60), || member.child.try_wait().unwrap());
    let log = member.log();
    assert!(exited.is_some_and(|s| !s.success()), "{log}");
    assert!(
        log.contains("partition 5 of whatsapp.raw does not exist"),
        "{log}"
    );
    assert!(log.contains("--assign-partitions"), "{log}");
}
