//! Load: 10,000 calls through 256 concurrent tasks on one client against
//! the sandbox, with no error, connections and memory flat; and the same
//! while the certificate store is being rotated, with no verification
//! failure.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use wechatpay::{Client, crypto::PublicKey};
use wechatpay_sandbox::Sandbox;

const CALLS: usize = 10_000;
const TASKS: usize = 256;

/// Resident memory of this process, in bytes (Linux).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// `CALLS` calls spread over `TASKS` tasks; the number that failed.
async fn hammer(client: &Client) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..TASKS {
        let (client, next, failed) = (client.clone(), next.clone(), failed.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < CALLS {
                if let Err(e) = client.chain("v3/certificates").get_async(()).await {
                    eprintln!("{e}");
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.unwrap();
    }
    failed.load(Ordering::Relaxed)
}

#[test]
fn ten_thousand_calls_through_256_tasks_with_and_without_rotation() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = sandbox
        .client_builder()
        .unwrap()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Warm up: pools, caches, allocator arenas.
    assert_eq!(rt.block_on(hammer(&client)), 0);
    let opened = sandbox.connections().opened;
    let memory = rss();

    assert_eq!(rt.block_on(hammer(&client)), 0, "no call failed");
    let after = sandbox.connections();
    assert!(
        after.opened - opened <= TASKS,
        "connections are reused: {} new for {CALLS} calls",
        after.opened - opened
    );
    assert!(after.open() <= TASKS, "{after:?}");
    let grown = rss().saturating_sub(memory);
    assert!(grown < 64 << 20, "memory grew by {} MiB", grown >> 20);

    // Again while the store is swapped over and over: never empty, never
    // half-filled, so no answer fails verification.
    let keys = sandbox.keys().clone();
    let public = PublicKey::from_pem(&keys.platform_public_key_pem).unwrap();
    let cert = PublicKey::from_pem(&keys.platform_cert_pem).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let rotations = Arc::new(AtomicUsize::new(0));
    let rotator = {
        let (store, stop, rotations) = (client.certs().clone(), stop.clone(), rotations.clone());
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // The live keys, plus one that comes and goes.
                store.replace_all(vec![
                    (keys.public_key_id.clone(), public.clone()),
                    (keys.platform_cert_serial.clone(), cert.clone()),
                    (format!("PUB_KEY_ID_ROTATING_{i}"), public.clone()),
                ]);
                rotations.fetch_add(1, Ordering::Relaxed);
                i += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let failed = rt.block_on(hammer(&client));
    stop.store(true, Ordering::Relaxed);
    rotator.join().unwrap();
    assert_eq!(failed, 0, "no verification failure during rotation");
    assert!(
        rotations.load(Ordering::Relaxed) > 100,
        "the store really rotated"
    );
}
