use std::net::TcpListener;

use super::*;

fn check(ip: &str, public: bool) {
    assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
}

#[test]
fn internal_addresses_are_not_public() {
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "198.18.0.1",
        "::1",
        "::",
        "fc00::1",
        "fd12::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",
        "2001:db8::1",
    ] {
        check(ip, false);
    }
    for ip in ["1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
        check(ip, true);
    }
}

fn request(url: String) -> OutboundRequest {
    OutboundRequest { url, headers: vec![("content-type", "application/json".into())], body: "{}".into() }
}

#[tokio::test]
async fn loopback_is_refused_by_address_and_by_name_unless_allowed() {
    let client = HttpClient::new(false);
    for url in ["http://127.0.0.1:9/hook", "http://[::1]:9/hook", "http://localhost:9/hook"] {
        let outcome = client.post(request(url.into())).await;
        assert!(matches!(outcome, Err(OutboundError::Refused(_))), "{url}: {outcome:?}");
    }
    let outcome = client.post(request("ftp://example.org/".into())).await;
    assert!(matches!(outcome, Err(OutboundError::Refused(_))), "{outcome:?}");
}

/// A one-shot HTTP server on loopback answering `answer` to the first request.
fn serve_once(answer: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://localhost:{}/hook", listener.local_addr().unwrap().port());
    let handle = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("\r\n\r\n{}") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            seen.extend_from_slice(buf.get(..n).unwrap());
        }
        stream.write_all(answer.as_bytes()).unwrap();
        String::from_utf8_lossy(&seen).into_owned()
    });
    (url, handle)
}

#[tokio::test]
async fn allowed_private_calls_post_and_never_follow_redirects() {
    let (url, server) =
        serve_once("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 5\r\n\r\nmoved");
    let response = HttpClient::new(true).post(request(url)).await.unwrap();
    assert_eq!(response.status, 302, "the redirect is the answer, not followed");
    assert_eq!(response.body, "moved");
    let seen = server.join().unwrap();
    assert!(seen.starts_with("POST /hook HTTP/1.1"), "{seen}");
    assert!(seen.to_ascii_lowercase().contains("content-type: application/json"), "{seen}");
}
