//! The command line as a user types it: JSON keys, numbers, and errors that say what is wrong.

use std::process::{Command, Output};

fn hotline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = hotline(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[track_caller]
fn close(v: &serde_json::Value, key: &str, expected: f64, tol: f64) {
    let actual = v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no `{key}` in {v}"));
    assert!(
        (actual - expected).abs() <= tol,
        "{key}: {actual} vs {expected}"
    );
}

#[test]
fn erlang_c_reference_point() {
    let v = json(&[
        "wfm",
        "erlang-c",
        "--traffic",
        "10",
        "--agents",
        "14",
        "--aht",
        "180",
        "--target-seconds",
        "20",
        "--json",
    ]);
    close(&v, "p_wait", 0.1741, 1e-4);
    close(&v, "service_level", 0.8884, 1e-4);
    close(&v, "asa_seconds", 7.836, 1e-3);
    close(&v, "occupancy", 10.0 / 14.0, 1e-9);
}

#[test]
fn erlang_a_has_every_key() {
    let v = json(&[
        "wfm",
        "erlang-a",
        "--traffic",
        "10",
        "--agents",
        "14",
        "--aht",
        "180",
        "--patience",
        "300",
        "--target-seconds",
        "20",
        "--json",
    ]);
    for key in [
        "p_wait",
        "p_abandon",
        "service_level",
        "asa_seconds",
        "occupancy",
    ] {
        assert!(v[key].is_f64(), "no `{key}` in {v}");
    }
    assert!(
        v["p_wait"].as_f64() < Some(0.1741),
        "abandonment shortens the wait"
    );
}

#[test]
fn staffing_reference_point() {
    let v = json(&[
        "wfm",
        "staff",
        "--calls",
        "100",
        "--interval-minutes",
        "30",
        "--aht",
        "180",
        "--target-sl",
        "0.8",
        "--target-seconds",
        "20",
        "--shrinkage",
        "0.3",
        "--max-occupancy",
        "0.85",
        "--json",
    ]);
    assert_eq!(
        (v["agents"].as_u64(), v["positions"].as_u64()),
        (Some(14), Some(20))
    );
    close(&v, "traffic", 10.0, 1e-12);
    for key in ["service_level", "asa_seconds", "occupancy", "p_wait"] {
        assert!(v[key].is_f64(), "no `{key}` in {v}");
    }
}

#[test]
fn errors_name_the_flag_and_fail() {
    let out = hotline(&[
        "wfm",
        "erlang-c",
        "--traffic",
        "10",
        "--agents",
        "10",
        "--aht",
        "180",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("overload"), "{err}");
    assert!(!err.contains("NaN"), "{err}");

    let out = hotline(&[
        "wfm",
        "staff",
        "--calls",
        "100",
        "--aht",
        "180",
        "--target-sl",
        "80",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--target-sl"), "{err}");
}

#[test]
fn simulate_prints_the_promised_keys() {
    let v = json(&[
        "simulate",
        "--calls-per-hour",
        "200",
        "--aht",
        "180",
        "--agents",
        "12",
        "--target-seconds",
        "20",
        "--patience",
        "300",
        "--hours",
        "50",
        "--seed",
        "1",
        "--json",
    ]);
    for key in ["offered", "answered", "abandoned"] {
        assert!(v[key].is_u64(), "no `{key}` in {v}");
    }
    for key in [
        "service_level",
        "asa_seconds",
        "occupancy",
        "p_wait",
        "p_abandon",
    ] {
        assert!(v[key].is_f64(), "no `{key}` in {v}");
    }
    let (offered, answered, abandoned) = (
        v["offered"].as_u64().unwrap(),
        v["answered"].as_u64().unwrap(),
        v["abandoned"].as_u64().unwrap(),
    );
    assert!(offered > 8_000 && answered + abandoned == offered, "{v}");
}

#[test]
fn simulate_reads_a_model_and_reports_a_bad_one() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/water-utility.toml"
    );
    let v = json(&["simulate", "--config", root, "--json"]);
    assert_eq!(v["queues"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["intervals"].as_array().map(Vec::len), Some(48));

    let dir = std::env::temp_dir().join(format!("hotline-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "hours = 1\n[[queue]]\nname = \"q\"\ncalls_per_hour = [10]\naht = -5\n\
         [[agents]]\nname = \"a\"\ncount = 1\nqueues = [\"q\"]\n",
    )
    .unwrap();
    let out = hotline(&["simulate", "--config", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("queue.q.aht"), "{err}");
}

#[test]
fn demo_day_shows_a_simulated_day() {
    let out = hotline(&["demo-day"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["服务水平", "09:00", "repair 报修", "total 合计", "█"] {
        assert!(text.contains(needle), "no `{needle}` in:\n{text}");
    }
}

/// The relay bench in small: 20 calls through the polling relay for 2 s, the phones in
/// their own process, every packet transcoded and heard, every call recorded.
#[test]
fn issue_4_the_relay_bench_hears_every_packet_of_a_few_calls_and_records_them() {
    let v = json(&[
        "bench",
        "relay",
        "--calls",
        "20",
        "--seconds",
        "2",
        "--json",
    ]);
    // 20 calls × 2 phones × 50 packets a second × 2 s.
    assert_eq!(v["packets_sent"], 4_000, "{v}");
    assert_eq!(v["packets_heard"], 4_000, "{v}");
    assert_eq!(v["transcoding"], true, "{v}");
    assert_eq!(v["recordings"], 20, "{v}");
    assert_eq!(v["recording_jobs_dropped"], 0, "{v}");
    assert!(
        v["core_pct_per_call"].as_f64().is_some_and(|p| p > 0.0),
        "{v}"
    );
}

#[test]
fn migrate_creates_the_embedded_database_and_refuses_a_bad_url() {
    let dir = std::env::temp_dir().join(format!("hotline-migrate-{}", std::process::id()));
    let url = format!("sqlite://{}/data/hotline.db", dir.display());
    for _ in 0..2 {
        let out = hotline(&["migrate", "--database", &url]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("up to date (0 tenants)"));
    }
    assert!(dir.join("data/hotline.db").exists());
    std::fs::remove_dir_all(&dir).ok();

    let out = hotline(&[
        "migrate",
        "--database",
        "postgres://nobody@127.0.0.1:99999/none",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("opening postgres://"));
}

/// A raw HTTP/1.1 request; returns the status line and the body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.lines().next().unwrap_or_default().to_string();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_demo_starts_the_center_and_the_demo_users_can_log_in() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("hotline-serve-{}", std::process::id()));
    let url = format!("sqlite://{}/hotline.db", dir.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &url,
            "--no-sip",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("no address in {first}"))
        .to_string();
    let rest: Vec<String> = lines.by_ref().take(6).map(Result::unwrap).collect();
    assert!(rest.iter().any(|l| l.contains("hotline-demo")), "{rest:?}");

    let login =
        r#"{"tenant":"demo","username":"agent01","password":"hotline-demo","mode":"bearer"}"#;
    let (status, body) = http(&addr, "POST", "/api/auth/login", login);
    assert!(status.contains("200"), "{status} {body}");
    let (status, body) = http(&addr, "POST", "/api/auth/login", r#"{"username":"root"}"#);
    assert!(status.contains("400"), "{status}");
    assert!(body.contains("\"field\":\"password\""), "{body}");
    let (status, doc) = http(&addr, "GET", "/api/openapi.json", "");
    assert!(
        status.contains("200") && doc.contains("/api/customers/lookup"),
        "{status}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn admin_create_makes_the_first_platform_administrator_once() {
    let dir = std::env::temp_dir().join(format!("hotline-admin-{}", std::process::id()));
    let url = format!("sqlite://{}/hotline.db", dir.display());
    let create = || {
        Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(["admin", "create", "--username", "ops", "--database", &url])
            .env("HOTLINE_ADMIN_PASSWORD", "a-long-password")
            .output()
            .unwrap()
    };
    let out = create();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created platform administrator `ops`"));
    let again = create();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let short = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["admin", "create", "--username", "x", "--database", &url])
        .env("HOTLINE_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 20: `hotline backup` copies the embedded database to a new file, and says where.
#[test]
fn issue_20_backup_writes_a_copy_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("hotline-cli-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/h.db", dir.display());
    let to = dir.join("h-copy.db");
    let out = hotline(&["migrate", "--database", &db]);
    assert!(out.status.success());
    let out = hotline(&["backup", "--database", &db, to.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up to"));
    let copy = format!("sqlite://{}", to.display());
    assert!(hotline(&["migrate", "--database", &copy]).status.success());
    let again = hotline(&["backup", "--database", &db, to.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    let _ = std::fs::remove_dir_all(&dir);
}
