//! The offline subcommands as users run them: `normalize-file`, `sign`, `schemas`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wa-pipeline"));
    command.env("ADMIN_LISTEN", "127.0.0.1:0");
    command
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bodies")
        .join(name)
}

fn expected(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/expected")
        .join(name);
    let records: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    records
        .into_iter()
        .map(|r| serde_json::json!({"topic": r["topic"], "key": r["key"], "value": r["value"]}))
        .collect()
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON record"))
        .collect()
}

#[test]
fn prints_one_line_per_record_in_body_order_across_files() {
    let out = bin()
        .arg("normalize-file")
        .args([
            fixture("batch-multi-entry.json"),
            fixture("edge-invalid-json.txt"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut want = expected("batch-multi-entry.json");
    want.extend(expected("edge-invalid-json.json"));
    assert_eq!(lines(&out.stdout), want);
}

#[test]
fn reads_a_body_from_stdin() {
    let mut child = bin()
        .args(["normalize-file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let body = std::fs::read(fixture("status-failed.json")).unwrap();
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(lines(&out.stdout), expected("status-failed.json"));
}

#[test]
fn topic_names_and_app_ids_are_configurable() {
    let out = bin()
        .args([
            "normalize-file",
            "--topic-mo",
            "acme.mo",
            "--app-ids",
            "1065403500012345=a_1",
        ])
        .arg(fixture("text.json"))
        .output()
        .unwrap();
    let records = lines(&out.stdout);
    assert_eq!(records[0]["topic"], "acme.mo");
    assert_eq!(records[0]["value"]["appId"], "a_1");
}

#[test]
fn an_unreadable_input_fails_with_a_clear_error() {
    let out = bin()
        .args(["normalize-file", "/nonexistent/body.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read /nonexistent/body.json"),
        "{stderr}"
    );
}

#[test]
fn schemas_command_writes_the_committed_files() {
    let dir = std::env::temp_dir().join(format!("wa-schemas-{}", std::process::id()));
    let out = bin().args(["schemas", "--out"]).arg(&dir).output().unwrap();
    assert!(out.status.success());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/json");
    for entry in std::fs::read_dir(&committed).unwrap() {
        let path = entry.unwrap().path();
        let written = std::fs::read(dir.join(path.file_name().unwrap())).unwrap();
        assert_eq!(written, std::fs::read(&path).unwrap(), "{}", path.display());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sign_prints_the_header_value_of_the_reference_vectors() {
    let out = bin()
        .args(["sign", "--secret", "test_app_secret"])
        .arg(fixture("unicode-escaped.json"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "sha256=7c81dcfff07221039d928fbfc1e14ae8e2d5c5cacfdb8c709b69e17ea40ef752\n"
    );
    // The secret may come from the environment, first of a rotation list.
    let out = bin()
        .args(["sign"])
        .arg(fixture("text.json"))
        .env("WHATSAPP_APP_SECRET", "test_app_secret,older_secret")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "sha256=b183c5df8c3c714d020c7d06b49106fbce3fd01508179399e9e4a21f3bd71cb6\n"
    );
}

/// Every flag of every subcommand is in the README, written as `` `--flag` ``.
#[test]
fn every_option_is_documented_in_the_readme() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let commands = [
        "run",
        "ingest",
        "normalize",
        "normalize-file",
        "replay",
        "redrive",
        "diff",
        "broker",
        "sign",
        "schemas",
    ];
    let mut missing = Vec::new();
    for command in commands {
        let out = bin().args([command, "--help"]).output().unwrap();
        assert!(out.status.success(), "{command} --help");
        let help = String::from_utf8(out.stdout).unwrap();
        let flags = help.lines().filter_map(|line| {
            // `  -p, --path <PATH>` or `      --listen <LISTEN>`
            let line = line.trim_start();
            let long = line
                .split_once(", ")
                .filter(|(short, _)| short.len() == 2)
                .map_or(line, |(_, long)| long);
            let name = long.strip_prefix("--")?;
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty() && name != "help" && name != "version").then(|| format!("`--{name}"))
        });
        missing.extend(
            flags
                .filter(|f| !readme.contains(f.as_str()))
                .map(|f| format!("{command} {f}`")),
        );
    }
    assert!(missing.is_empty(), "options not in the README: {missing:?}");
}
