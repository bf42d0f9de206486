//! `--json` on the show commands (issue 13): `report show`, `advisory show`,
//! `admin org show`, `admin project show`, `policy show` and `mail show`
//! print, for the same user, exactly what the API answers; a user who may not
//! see a report gets an error and no JSON.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::serve::{start_with, stop};
use crate::{data_dir, ok, run};

/// An HTTP/1.1 GET or POST; answers (status, head, body).
fn exchange(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), head.to_owned(), body.to_owned())
}

/// A command's arguments, the API path it mirrors, and the headers to send there.
type Case<'a> = (Vec<&'a str>, String, &'a [(&'a str, &'a str)]);

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn show_commands_print_with_json_what_the_api_answers_the_same_user() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    let project = ["admin", "project", "create", "pallets/flask", "--name", "Flask", "--package", "PyPI:flask"];
    ok(&dir, &[&project[..], &["--repository", "https://github.com/pallets/flask"]].concat());
    for (email, password) in [("lead@example.org", "a long password 1"), ("other@example.org", "a long password 2")] {
        let out =
            run(&dir, &["admin", "user", "create", "--email", email, "--name", "Someone"], &format!("{password}\n"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    ok(&dir, &["admin", "member", "add", "pallets", "--email", "lead@example.org"]);
    let submitted =
        ok(&dir, &["report", "submit", "pallets/flask", "--title", "Session fixation", "--body", "PRIVATE-BODY-4417"]);
    let report = submitted.split_whitespace().find(|w| w.len() == 36 && w.matches('-').count() == 4).unwrap();
    let lead = ["--as", "lead@example.org"];
    for state in ["acknowledged", "triaging", "accepted"] {
        ok(&dir, &[&["report", "transition", report, state][..], &lead].concat());
    }
    let draft = ok(&dir, &[&["advisory", "draft", report][..], &lead].concat());
    let advisory = draft.lines().find_map(|l| l.strip_prefix("id")).unwrap().trim().to_owned();

    let mut server = start_with(&dir, &[]);
    let login = r#"{"email":"lead@example.org","password":"a long password 1"}"#;
    let (status, head, _) =
        exchange(&server.addr, "POST", "/api/v1/session", &[("Content-Type", "application/json")], login);
    assert_eq!(status, 200, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let signed_in = [("Cookie", cookie.as_str())];
    let cases: [Case; 5] = [
        (vec!["admin", "org", "show", "pallets"], "/api/v1/orgs/pallets".into(), &[]),
        (vec!["admin", "project", "show", "pallets/flask"], "/api/v1/projects/pallets/flask".into(), &[]),
        (vec!["policy", "show", "pallets/flask"], "/api/v1/projects/pallets/flask/policy".into(), &[]),
        (vec!["report", "show", report, "--as", "lead@example.org"], format!("/api/v1/reports/{report}"), &signed_in),
        (
            vec!["advisory", "show", &advisory, "--as", "lead@example.org"],
            format!("/api/v1/advisories/{advisory}"),
            &signed_in,
        ),
    ];
    for (args, path, headers) in cases {
        let printed = json(&ok(&dir, &[&["--json"][..], &args].concat()));
        let (status, _, body) = exchange(&server.addr, "GET", &path, headers, "");
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(printed, json(&body), "{args:?} prints what GET {path} answers");
    }
    stop(&mut server);

    // What the JSON says, checked by hand once.
    let shown = json(&ok(&dir, &["--json", "report", "show", report, "--as", "lead@example.org"]));
    assert_eq!(shown["title"], "Session fixation");
    assert_eq!(shown["body"], "PRIVATE-BODY-4417");
    assert_eq!(shown["state"], "accepted");
    assert_eq!(shown["project"]["project"], "flask", "{shown}");
    let project = json(&ok(&dir, &["admin", "project", "show", "pallets/flask", "--json"]));
    assert_eq!(project["packages"][0]["name"], "flask", "{project}");
    assert_eq!(project["repository_url"], "https://github.com/pallets/flask");
    let mail = json(&ok(&dir, &["--json", "mail", "show", report, "--as", "lead@example.org"]));
    assert!(mail.is_array(), "{mail}");

    // Without --json the same commands print text.
    let text = ok(&dir, &["admin", "project", "show", "pallets/flask"]);
    assert!(text.contains("PyPI:flask") && text.contains("https://github.com/pallets/flask"), "{text}");
    assert!(ok(&dir, &["admin", "org", "show", "pallets"]).contains("PALLETS-YEAR-N"));

    // Someone outside the team sees nothing of the report, in JSON or not.
    for args in [
        &["--json", "report", "show", report, "--as", "other@example.org"][..],
        &["--json", "mail", "show", report, "--as", "other@example.org"][..],
        &["--json", "advisory", "show", &advisory, "--as", "other@example.org"][..],
    ] {
        let out = run(&dir, args, "");
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed {}", String::from_utf8_lossy(&out.stdout));
        assert!(!String::from_utf8_lossy(&out.stderr).contains("PRIVATE-BODY-4417"));
    }
    let out = run(&dir, &["--json", "admin", "org", "show", "nobody"], "");
    assert!(!out.status.success() && out.stdout.is_empty());
}
