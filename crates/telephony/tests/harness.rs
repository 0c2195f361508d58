//! The in-process harness: telephony on an in-memory [`Wire`] with a trunk made of rsipstack
//! here, an [`App`] that records what it is told, and tokio's clock paused — so what real
//! peers wait out in real time (menu timeouts and retries, a phone gone silent) passes at
//! once — registrations expire on the same clock ([`Clock::tokio`]). The same cases
//! against sipp are in `crates/hotline/tests/sip.rs`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::EndpointBuilder;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::registration::Registration;
use rsipstack::sip::{StatusCode, Transport, Uri};
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, TransportLayer};
use telephony::sdp::{self, Codec, Direction};
use telephony::wire::Wire;
use telephony::{
    Announce, App, Clock, Config, ExtensionAuth, Party, Place, Queued, Report, Route, Telephony,
    Transfer, TransferTo,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

const CENTER: &str = "127.0.0.1:5060";
const TRUNK: &str = "127.0.0.1:5070";
/// The one extension the application knows: user 7 of tenant 1.
const EXTENSION: &str = "1001";
const PASSWORD: &str = "harness-secret";

/// What the application hears: each queued caller and each report.
#[derive(Debug)]
enum Heard {
    Queued(Queued),
    Report(Report),
}

struct Recording {
    flow: ivr::Flow,
    heard: mpsc::UnboundedSender<Heard>,
}

#[async_trait::async_trait]
impl App for Recording {
    async fn route(&self, dialled: &str, _caller: &str) -> Option<Route> {
        (dialled == "96332").then(|| Route {
            tenant: 1,
            flow: self.flow.clone(),
            vars: BTreeMap::new(),
            open_calendars: Vec::new(),
            customer: None,
        })
    }
    async fn extension(&self, _domain: &str, extension: &str) -> Option<ExtensionAuth> {
        (extension == EXTENSION).then(|| ExtensionAuth {
            tenant: 1,
            user: 7,
            ha1: telephony::digest::ha1(EXTENSION, "harness", PASSWORD),
            realm: "harness".into(),
        })
    }
    async fn queue(&self, _tenant: i64, call: Queued) -> Result<Option<Announce>, String> {
        let _ = self.heard.send(Heard::Queued(call));
        Ok(None)
    }
    async fn place(&self, _tenant: i64, _call_id: &str) -> Option<Place> {
        None
    }
    async fn transfer(&self, _tenant: i64, _t: Transfer) -> Result<TransferTo, String> {
        Err("no transfers here".into())
    }
    async fn consult(&self, _: i64, _: &str, _: &str, _: Option<i64>) -> Result<i64, String> {
        Err("no consultations here".into())
    }
    async fn callback(&self, _tenant: i64, _call_id: &str) -> Result<(), String> {
        Err("no callbacks here".into())
    }
    async fn report(&self, _tenant: i64, report: Report) {
        let _ = self.heard.send(Heard::Report(report));
    }
}

/// Telephony on a wire and on tokio's clock, serving `flow` on 96332 to a trunk at
/// [`TRUNK`].
async fn center(wire: &Wire, flow: ivr::Flow) -> (Arc<Telephony>, mpsc::UnboundedReceiver<Heard>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let config = Config {
        listen: CENTER.parse().unwrap(),
        public_ip: None,
        rtp_ports: (34_000, 34_200),
        trunks: vec!["127.0.0.1".parse().unwrap()],
        outbound: None,
        data_dir: std::env::temp_dir().join(format!("hotline-harness-{}", std::process::id())),
        prompts_dir: None,
        drain: Duration::from_secs(1),
        rtp_timeout: Duration::from_secs(30),
    };
    let app = Arc::new(Recording { flow, heard: tx });
    let t = Telephony::start_on_wire_with_clock(config, Clock::tokio(), app, wire)
        .await
        .unwrap();
    (t, rx)
}

/// A carrier's trunk on the wire: sends calls in, answers what comes back in their dialogs.
struct Trunk {
    dialogs: Arc<DialogLayer>,
    endpoint: rsipstack::transaction::endpoint::Endpoint,
}

impl Trunk {
    async fn start(wire: &Wire) -> Trunk {
        let token = rsipstack::platform::CancellationToken::new();
        let transports = TransportLayer::new(token.child_token());
        let socket = Arc::new(wire.bind(TRUNK.parse().unwrap()).unwrap());
        let udp = UdpConnection::from_socket(socket, None, Some(token.child_token()))
            .await
            .unwrap();
        transports.add_transport(udp.into());
        let endpoint = EndpointBuilder::new()
            .with_transport_layer(transports)
            .with_cancel_token(token)
            .build();
        let mut incoming = endpoint.incoming_transactions().unwrap();
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let inner = endpoint.inner.clone();
        tokio::spawn(async move { inner.serve().await });
        let layer = dialogs.clone();
        tokio::spawn(async move {
            while let Some(mut tx) = incoming.recv().await {
                if let Some(mut d) = layer.match_dialog(&tx) {
                    tokio::spawn(async move {
                        let _ = d.handle(&mut tx).await;
                    });
                }
            }
        });
        Trunk { dialogs, endpoint }
    }

    /// Calls 96332 from `caller`, offering RTP at an address nobody sends from.
    fn call(&self, caller: &str) -> DialogStateReceiver {
        let rtp: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let offer = sdp::write(1, 1, rtp, &[Codec::Pcmu], Some(101), Direction::SendRecv);
        let center: SocketAddr = CENTER.parse().unwrap();
        let opt = InviteOption {
            caller: Uri::try_from(format!("sip:{caller}@{TRUNK}").as_str()).unwrap(),
            callee: Uri::try_from(format!("sip:96332@{CENTER}").as_str()).unwrap(),
            destination: Some(SipAddr {
                r#type: Some(Transport::Udp),
                addr: center.into(),
            }),
            contact: Uri::try_from(format!("sip:trunk@{TRUNK}").as_str()).unwrap(),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.into_bytes()),
            ..InviteOption::default()
        };
        let (state_tx, states) = self.dialogs.new_dialog_state_channel();
        self.dialogs.do_invite_async(opt, state_tx).unwrap();
        states
    }
}

/// Waits for the dialog to be answered, then for it to end; whether it was answered.
async fn answered_then_ended(states: &mut DialogStateReceiver) -> (bool, bool) {
    let mut answered = false;
    while let Some(st) = states.recv().await {
        match st {
            DialogState::Confirmed(..) => answered = true,
            DialogState::Terminated(..) => return (answered, true),
            _ => {}
        }
    }
    (answered, false)
}

fn flow(json: serde_json::Value) -> ivr::Flow {
    serde_json::from_value(json).unwrap()
}

#[tokio::test(start_paused = true)]
async fn issue_4_harness_a_caller_who_presses_nothing_is_queued_by_the_menus_fallback() {
    let wire = Wire::new();
    let menu = flow(serde_json::json!({
        "start": "main",
        "nodes": {
            "main": {"type": "menu", "prompt": "welcome", "options": {"1": "repair"},
                     "timeout_s": 8.0, "retries": 2, "fallback": "consult"},
            "repair": {"type": "queue", "queue": "repair"},
            "consult": {"type": "queue", "queue": "consult"},
        }
    }));
    let (_t, mut heard) = center(&wire, menu).await;
    let trunk = Trunk::start(&wire).await;
    let began = Instant::now();
    let real = std::time::Instant::now();
    let _call = trunk.call("13800000001");
    let queued = loop {
        match heard.recv().await.expect("the application hears the call") {
            Heard::Queued(q) => break q,
            Heard::Report(_) => {}
        }
    };
    // Three tries of 8 s without a key, then the fallback: the caller waited 24 s of the
    // center's clock, and none of the test's.
    assert_eq!(queued.queue, "consult");
    assert_eq!(queued.ivr_path, ["main", "consult"]);
    let waited = began.elapsed();
    assert!(
        (Duration::from_secs(24)..Duration::from_secs(40)).contains(&waited),
        "the menu took {waited:?}"
    );
    assert!(
        real.elapsed() < Duration::from_secs(10),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn issue_4_harness_a_caller_whose_line_goes_silent_is_hung_up_after_the_rtp_timeout() {
    let wire = Wire::new();
    let straight = flow(serde_json::json!({
        "start": "q",
        "nodes": {"q": {"type": "queue", "queue": "repair"}}
    }));
    let (t, mut heard) = center(&wire, straight).await;
    let trunk = Trunk::start(&wire).await;
    let began = Instant::now();
    let mut call = trunk.call("13800000002");
    // The trunk sends no RTP: after 30 s the center hangs up on it and says why.
    let (answered, ended) = answered_then_ended(&mut call).await;
    assert!(answered && ended, "answered {answered}, ended {ended}");
    let waited = began.elapsed();
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(33)).contains(&waited),
        "hung up after {waited:?}"
    );
    let (by, reason) = loop {
        if let Heard::Report(Report::Ended { by, reason, .. }) =
            heard.recv().await.expect("the call's end is reported")
        {
            break (by, reason);
        }
    };
    assert_eq!(by, Party::System);
    assert_eq!(reason, "no RTP for 30 s");
    assert_eq!(t.live_calls(), 0);
}

/// Waits for the application to hear whether user 7's phone can be rung.
async fn reachable(heard: &mut mpsc::UnboundedReceiver<Heard>) -> bool {
    loop {
        if let Heard::Report(Report::Reachable { user: 7, reachable }) =
            heard.recv().await.expect("telephony reports reachability")
        {
            return reachable;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn issue_19_registration_expires_on_the_harness_clock() {
    let wire = Wire::new();
    let idle = flow(serde_json::json!({
        "start": "q",
        "nodes": {"q": {"type": "queue", "queue": "repair"}}
    }));
    let (t, mut heard) = center(&wire, idle).await;
    // The trunk's endpoint serves as the agent's phone: it registers 1001 for a minute.
    let phone = Trunk::start(&wire).await;
    let mut registration = Registration::new(
        phone.endpoint.inner.clone(),
        Some(Credential {
            username: EXTENSION.into(),
            password: PASSWORD.into(),
            ..Credential::default()
        }),
    );
    let server = Uri::try_from(format!("sip:{CENTER}").as_str()).unwrap();
    let began = Instant::now();
    let answer = registration.register(server, Some(60)).await.unwrap();
    assert_eq!(answer.status_code, StatusCode::OK);
    assert!(t.is_reachable(1, 7));
    assert!(reachable(&mut heard).await);
    // Nothing lapses before the Expires: the phone is still there a moment before.
    tokio::time::sleep_until(began + Duration::from_secs(59)).await;
    assert!(t.is_reachable(1, 7));
    // Past it, the registrar's next sweep (every 5 s) lets the phone go and says so, on
    // the center's clock and none of the test's.
    let real = std::time::Instant::now();
    assert!(!reachable(&mut heard).await);
    assert!(!t.is_reachable(1, 7));
    let lapsed = began.elapsed();
    assert!(
        (Duration::from_secs(60)..Duration::from_secs(66)).contains(&lapsed),
        "the registration lapsed after {lapsed:?}"
    );
    assert!(
        real.elapsed() < Duration::from_secs(10),
        "{:?}",
        real.elapsed()
    );
}

/// Issue 20: when the application rebuilds a tenant's routing engine (after a failure), a
/// caller waiting in line is queued in it again, as they were, still on the line.
#[tokio::test(start_paused = true)]
async fn issue_20_a_waiting_caller_is_queued_again_when_the_engine_is_rebuilt() {
    let wire = Wire::new();
    let direct = flow(serde_json::json!({
        "start": "q", "nodes": {"q": {"type": "queue", "queue": "repair"}}
    }));
    let (t, mut heard) = center(&wire, direct).await;
    let trunk = Trunk::start(&wire).await;
    let _call = trunk.call("13800000002");
    let mut queued = Vec::new();
    while queued.is_empty() {
        if let Heard::Queued(q) = heard.recv().await.expect("the call") {
            queued.push(q);
        }
    }
    t.requeue(2);
    t.requeue(1);
    let again = loop {
        if let Heard::Queued(q) = heard.recv().await.expect("queued again") {
            break q;
        }
    };
    assert_eq!(
        (
            again.call_id.as_str(),
            again.queue.as_str(),
            again.caller.as_str()
        ),
        (
            queued[0].call_id.as_str(),
            "repair",
            queued[0].caller.as_str()
        )
    );
    assert_eq!(again.ivr_path, queued[0].ivr_path);
}
