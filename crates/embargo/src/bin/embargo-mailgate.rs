//! `embargo-mailgate`: files one mail read from standard input, for an MTA's
//! pipe transport, by handing it to the running `embargo serve` over the
//! socket in the data directory (`embargo_mail::handoff` describes the
//! exchange). It starts in about a millisecond, where `embargo mail ingest`
//! loads the whole application and opens the database for each mail.
//!
//! When no server listens, it runs `embargo mail ingest` (the `embargo`
//! program beside it) with the same options, so mail is filed either way.
//! Its output and exit codes are those of `embargo mail ingest`.
//!
//! Only the standard library is used, so that the program stays small.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
embargo-mailgate: file one mail read from standard input (an MTA's pipe transport)

Usage: embargo-mailgate [--data-dir DIR] [--sender SENDER] [--recipient RECIPIENT]...

Hands the mail to the running `embargo serve` through DIR/mail.sock; when no
server listens there, runs `embargo mail ingest` (the program beside this one)
with the same options. Output and exit codes are those of `embargo mail ingest`.

Options:
  --data-dir DIR           the server's data directory (default: $EMBARGO_DATA_DIR, else ./embargo-data)
  --sender SENDER          the envelope sender (MAIL FROM); empty for bounces
  --recipient RECIPIENT    an envelope recipient (RCPT TO); repeatable (default: the mail's headers)
  -h, --help               this help
  -V, --version            the version

Example (Postfix), /etc/postfix/master.cf:
  embargo   unix  -       n       n       -       -       pipe
    flags=Rq user=embargo argv=/usr/local/bin/embargo-mailgate --data-dir /var/lib/embargo
    --sender ${sender} --recipient ${recipient}

Exit codes (sysexits, as MTAs read them):
  0   filed, or dropped on purpose (duplicate, auto-reply, bounce)
  64  the command line is wrong
  65  the mail is refused (too large, malformed, unreadable encryption); the MTA bounces it
  67  no project takes mail for its address
  75  temporary failure; the MTA keeps the mail and retries
";

/// The first line of every handoff (`embargo_mail::handoff::GREETING`).
const GREETING: &str = "embargo-mail 1";
/// The socket's file name in the data directory (`embargo_mail::handoff::SOCKET_NAME`).
const SOCKET_NAME: &str = "mail.sock";
const EX_USAGE: u8 = 64;
const EX_TEMPFAIL: u8 = 75;

/// Prints a line to standard error, keeping standard output for the outcome.
#[expect(clippy::print_stderr, reason = "errors go to standard error, as the MTA logs them apart")]
fn complain(line: &str) {
    eprintln!("{line}");
}

/// What the command line asks for.
struct Options {
    data_dir: Option<OsString>,
    sender: Option<String>,
    recipients: Vec<String>,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args_os().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(why) => {
            complain(&format!("embargo-mailgate: {why} (see --help)"));
            return ExitCode::from(EX_USAGE);
        }
    };
    let data_dir = options
        .data_dir
        .clone()
        .or_else(|| std::env::var_os("EMBARGO_DATA_DIR"))
        .unwrap_or_else(|| "./embargo-data".into());
    let socket = PathBuf::from(&data_dir).join(SOCKET_NAME);
    match UnixStream::connect(&socket) {
        Ok(stream) => hand_over(stream, &options),
        // No server takes mail there: the mail has not been read, so `mail ingest` reads it.
        Err(_) => run_ingest(&options),
    }
}

/// The options, or `None` when help or the version was printed.
fn parse(mut args: impl Iterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut options = Options { data_dir: None, sender: None, recipients: Vec::new() };
    while let Some(arg) = args.next() {
        let arg = arg.into_string().map_err(|a| format!("not UTF-8: {a:?}"))?;
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (arg, None),
        };
        let mut value = || -> Result<String, String> {
            let value = match inline.clone() {
                Some(value) => value,
                None => args
                    .next()
                    .ok_or(format!("{name} needs a value"))?
                    .into_string()
                    .map_err(|a| format!("not UTF-8: {a:?}"))?,
            };
            if value.contains(['\r', '\n']) {
                return Err(format!("{name} holds a line break"));
            }
            Ok(value)
        };
        match name.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("embargo-mailgate {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "--data-dir" => options.data_dir = Some(value()?.into()),
            "--sender" if options.sender.is_none() => options.sender = Some(value()?),
            "--sender" => return Err("--sender is given twice".to_owned()),
            "--recipient" => options.recipients.push(value()?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Some(options))
}

/// Sends the envelope and standard input, then prints the server's answer and exits with its code.
fn hand_over(mut stream: UnixStream, options: &Options) -> ExitCode {
    let mut head = format!("{GREETING}\n");
    if let Some(sender) = &options.sender {
        head.push_str(&format!("sender {sender}\n"));
    }
    for recipient in &options.recipients {
        head.push_str(&format!("recipient {recipient}\n"));
    }
    head.push('\n');
    // A server that refuses early (a mail too large) stops reading and
    // answers: a failed write is not the end, the answer is read regardless.
    let sent = stream
        .write_all(head.as_bytes())
        .and_then(|()| std::io::copy(&mut std::io::stdin().lock(), &mut stream).map(drop))
        .and_then(|()| stream.shutdown(std::net::Shutdown::Write));
    let mut answer = String::new();
    let read = BufReader::new(&stream).read_line(&mut answer);
    let parsed = answer.trim_end().split_once(' ').and_then(|(code, line)| Some((code.parse::<u8>().ok()?, line)));
    match (parsed, read) {
        (Some((0, line)), _) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        (Some((code, line)), _) => {
            complain(&format!("error: {line}"));
            ExitCode::from(code)
        }
        (None, read) => {
            let why = match (sent, read) {
                (Err(e), _) | (_, Err(e)) => e.to_string(),
                _ => "the server stopped before it answered".to_owned(),
            };
            complain(&format!("error: temporary failure: the mail was not handed over: {why}"));
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

/// Runs `embargo mail ingest` with the same options, in place of this process.
fn run_ingest(options: &Options) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let embargo = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("embargo")))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("embargo"));
    let mut command = std::process::Command::new(&embargo);
    if let Some(dir) = &options.data_dir {
        command.arg("--data-dir").arg(dir);
    }
    command.args(["mail", "ingest"]);
    if let Some(sender) = &options.sender {
        command.arg(format!("--sender={sender}"));
    }
    for recipient in &options.recipients {
        command.arg(format!("--recipient={recipient}"));
    }
    let error = command.exec();
    complain(&format!("error: temporary failure: no server takes mail, and {} cannot run: {error}", embargo.display()));
    ExitCode::from(EX_TEMPFAIL)
}
