//! The media task against two phones made of UDP sockets on loopback.

use std::sync::Arc;
use std::time::Duration;

use media::rtp::Packet;
use telephony::rtp::{self, Command, Event, Leg, Ports, Side};
use telephony::sdp::{Codec, Direction, Session};
use tokio::net::UdpSocket;

fn session(remote: std::net::SocketAddr, codec: Codec) -> Session {
    Session {
        remote,
        codec,
        dtmf: Some(101),
        direction: Direction::SendRecv,
    }
}

fn packet(pt: u8, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Packet {
        marker: false,
        payload_type: pt,
        sequence: seq,
        timestamp: ts,
        ssrc: 42,
        csrc: vec![],
        extension: None,
        payload,
    }
    .write(&mut out);
    out
}

async fn next(sock: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0; 2048];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), sock.recv_from(&mut buf))
        .await
        .expect("a packet within 2 s")
        .unwrap();
    buf.truncate(n);
    buf
}

#[tokio::test]
async fn prompts_keys_relay_transcoding_and_recording() {
    let ports = Ports::new("127.0.0.1".parse().unwrap(), 31_000, 31_100);
    let caller_phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let agent_phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let caller_leg = ports.bind().await.unwrap();
    let caller_here = caller_leg.local_addr().unwrap();
    assert_eq!(caller_here.port() % 2, 0);
    let dir = std::env::temp_dir().join(format!("hotline-media-{}", std::process::id()));
    let recorder = telephony::recorder::Recorder::start(1024, |_| {});
    let (cmd, mut events) = rtp::start(Some(recorder), 7, rtp::SILENCE_LIMIT);
    cmd.send(Command::Attach(
        Side::Left,
        Leg {
            socket: caller_leg,
            session: session(caller_phone.local_addr().unwrap(), Codec::Pcmu),
        },
    ))
    .unwrap();

    // A prompt of three frames arrives as three μ-law packets, then Played.
    cmd.send(Command::Play(
        Side::Left,
        Arc::from(vec![1000_i16; 3 * rtp::FRAME]),
    ))
    .unwrap();
    let mut seqs = Vec::new();
    let mut prompt_ssrc = 0;
    for _ in 0..3 {
        let p = next(&caller_phone).await;
        let p = Packet::parse(&p).unwrap();
        assert_eq!(p.payload_type, 0);
        assert_eq!(p.payload.len(), rtp::FRAME);
        assert!((950..1050).contains(&media::g711::ulaw_decode(p.payload[0])));
        seqs.push(p.sequence);
        prompt_ssrc = p.ssrc;
    }
    assert_eq!(seqs[1], seqs[0].wrapping_add(1));
    assert_eq!(events.recv().await, Some(Event::Played));

    // The caller presses 5 (RFC 4733: packets of one event, the last with E set).
    let key_packets = media::dtmf::send('5', 800, 400);
    for (i, bytes) in key_packets.iter().enumerate() {
        let seq = u16::try_from(i).unwrap();
        caller_phone
            .send_to(&packet(101, seq, 8000, bytes), caller_here)
            .await
            .unwrap();
    }
    assert_eq!(events.recv().await, Some(Event::Digit('5')));

    // Bridge an A-law agent; record.
    let agent_leg = ports.bind().await.unwrap();
    let agent_here = agent_leg.local_addr().unwrap();
    cmd.send(Command::Attach(
        Side::Right,
        Leg {
            socket: agent_leg,
            session: session(agent_phone.local_addr().unwrap(), Codec::Pcma),
        },
    ))
    .unwrap();
    let wav = dir.join("call.wav");
    cmd.send(Command::Record(1, wav.clone())).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let loud = media::g711::ulaw_encode(8000);
    caller_phone
        .send_to(&packet(0, 10, 16000, &[loud; 160]), caller_here)
        .await
        .unwrap();
    let got = next(&agent_phone).await;
    let got = Packet::parse(&got).unwrap();
    assert_eq!(got.payload_type, 8, "transcoded to A-law for the agent");
    assert_eq!(got.payload[0], media::g711::ulaw_to_alaw(loud));
    let quiet = media::g711::alaw_encode(-300);
    agent_phone
        .send_to(&packet(8, 1, 0, &[quiet; 160]), agent_here)
        .await
        .unwrap();
    let back = next(&caller_phone).await;
    let back = Packet::parse(&back).unwrap();
    assert_eq!(back.payload_type, 0);
    assert_eq!(back.ssrc, prompt_ssrc, "one stream to the caller");
    assert_eq!(
        back.sequence,
        seqs[2].wrapping_add(1),
        "its sequence goes on"
    );
    cmd.send(Command::Stop).unwrap();
    let Some(Event::Ended(summary)) = events.recv().await else {
        panic!("no summary")
    };
    assert_eq!(summary.caller_received, key_packets.len() as u64 + 1);
    assert_eq!(summary.agent_received, 1);
    for _ in 0..100 {
        if let Ok(r) = hound::WavReader::open(&wav)
            && r.duration() > 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = hound::WavReader::open(&wav).unwrap();
    assert_eq!(r.spec().channels, 2);
    let s: Vec<i16> = r.into_samples().map(Result::unwrap).collect();
    assert_eq!(s.len(), 2 * 160);
    assert!(s[0] > 7000, "caller on the left: {}", s[0]);
    assert!((-340..-260).contains(&s[1]), "agent on the right: {}", s[1]);
    std::fs::remove_dir_all(&dir).ok();
}

/// Reads packets until one with this payload type comes (music may come first).
async fn next_of(sock: &UdpSocket, pt: u8) -> Vec<u8> {
    for _ in 0..100 {
        let p = next(sock).await;
        if Packet::parse(&p).is_ok_and(|p| p.payload_type == pt && p.payload[0] == 0x55) {
            return p;
        }
    }
    panic!("no relayed packet");
}

/// Nothing relayed (payload 0x55) reaches this socket within 300 ms; music may.
async fn hears_nobody(sock: &UdpSocket) {
    let mut buf = vec![0; 2048];
    let until = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Ok((n, _))) = tokio::time::timeout_at(until, sock.recv_from(&mut buf)).await {
        let p = Packet::parse(&buf[..n]).unwrap();
        assert_ne!(p.payload[0], 0x55, "relayed audio reached a held party");
    }
}

#[tokio::test]
async fn issue_4_a_consultation_joins_the_agent_and_the_expert_then_the_expert_takes_the_caller() {
    let ports = Ports::new("127.0.0.1".parse().unwrap(), 31_200, 31_300);
    let (caller, agent, expert) = (
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
    );
    let (cmd, _events) = rtp::start(None, 9, rtp::SILENCE_LIMIT);
    let mut here = Vec::new();
    for (side, phone) in [
        (Some(Side::Left), &caller),
        (Some(Side::Right), &agent),
        (None, &expert),
    ] {
        let socket = ports.bind().await.unwrap();
        here.push(socket.local_addr().unwrap());
        let leg = Leg {
            socket,
            session: session(phone.local_addr().unwrap(), Codec::Pcmu),
        };
        match side {
            Some(side) => cmd.send(Command::Attach(side, leg)).unwrap(),
            None => {
                // The agent holds the caller and the expert joins.
                cmd.send(Command::Hold(true, Arc::from(vec![0_i16; rtp::FRAME])))
                    .unwrap();
                cmd.send(Command::Consult(leg)).unwrap();
            }
        }
    }
    let voice = [0x55_u8; 160];
    // The agent is heard by the expert, the expert by the agent; the caller by neither.
    agent
        .send_to(&packet(0, 1, 160, &voice), here[1])
        .await
        .unwrap();
    next_of(&expert, 0).await;
    expert
        .send_to(&packet(0, 1, 160, &voice), here[2])
        .await
        .unwrap();
    next_of(&agent, 0).await;
    caller
        .send_to(&packet(0, 1, 160, &voice), here[0])
        .await
        .unwrap();
    hears_nobody(&agent).await;
    // Completed: the expert takes the agent's place with the caller.
    cmd.send(Command::EndConsult { completed: true }).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    caller
        .send_to(&packet(0, 2, 320, &voice), here[0])
        .await
        .unwrap();
    next_of(&expert, 0).await;
    expert
        .send_to(&packet(0, 2, 320, &voice), here[2])
        .await
        .unwrap();
    next_of(&caller, 0).await;
    hears_nobody(&agent).await;
    cmd.send(Command::Stop).unwrap();
}

/// Nothing arrives on `sock` within `ms`.
async fn silent(sock: &UdpSocket, ms: u64) -> bool {
    let mut buf = vec![0; 2048];
    tokio::time::timeout(Duration::from_millis(ms), sock.recv_from(&mut buf))
        .await
        .is_err()
}

/// Issue 20: a stranger who can reach a live call's RTP ports can neither take its audio
/// nor speak into it nor press keys in the caller's IVR: a leg hears only the phone it
/// latched on (every packet used to re-point the leg at whoever sent it). The packets are
/// dropped and counted; and ports are not handed out in order.
#[tokio::test]
async fn issue_20_a_stranger_can_neither_take_nor_inject_into_a_live_call() {
    let ports = Ports::new("127.0.0.1".parse().unwrap(), 32_000, 33_998);
    let caller_phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let agent_phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let caller_leg = ports.bind().await.unwrap();
    let caller_here = caller_leg.local_addr().unwrap();
    let (cmd, mut events) = rtp::start(None, 9, rtp::SILENCE_LIMIT);
    cmd.send(Command::Attach(
        Side::Left,
        Leg {
            socket: caller_leg,
            session: session(caller_phone.local_addr().unwrap(), Codec::Pcmu),
        },
    ))
    .unwrap();
    // The caller is heard first (it latches its leg), alone in the IVR; its key is the
    // sign that the leg has latched.
    let quiet = media::g711::ulaw_encode(0);
    caller_phone
        .send_to(&packet(0, 1, 160, &[quiet; 160]), caller_here)
        .await
        .unwrap();
    let key = |k: char, first: usize, ts: u32| {
        let caller_phone = &caller_phone;
        async move {
            for (i, bytes) in media::dtmf::send(k, 800, 400).iter().enumerate() {
                let seq = u16::try_from(first + i).unwrap();
                caller_phone
                    .send_to(&packet(101, seq, ts, bytes), caller_here)
                    .await
                    .unwrap();
            }
        }
    };
    key('5', 10, 16000).await;
    assert_eq!(events.recv().await, Some(Event::Digit('5')));
    // The stranger presses 9 in the caller's IVR, then the caller presses 6: the flow
    // gets the 6 and never the 9, which reached the socket before it.
    let nine = media::dtmf::send('9', 800, 400);
    for (i, bytes) in nine.iter().enumerate() {
        let seq = u16::try_from(15 + i).unwrap();
        stranger
            .send_to(&packet(101, seq, 20000, bytes), caller_here)
            .await
            .unwrap();
    }
    key('6', 20, 24000).await;
    assert_eq!(events.recv().await, Some(Event::Digit('6')));

    // Bridged to the agent: the stranger's audio reaches nobody.
    let agent_leg = ports.bind().await.unwrap();
    let agent_here = agent_leg.local_addr().unwrap();
    cmd.send(Command::Attach(
        Side::Right,
        Leg {
            socket: agent_leg,
            session: session(agent_phone.local_addr().unwrap(), Codec::Pcmu),
        },
    ))
    .unwrap();
    agent_phone
        .send_to(&packet(0, 1, 160, &[quiet; 160]), agent_here)
        .await
        .unwrap();
    let _ = next(&caller_phone).await;
    let stranger_voice = media::g711::ulaw_encode(8000);
    for seq in 0..5 {
        stranger
            .send_to(
                &packet(0, 100 + seq, 16000, &[stranger_voice; 160]),
                caller_here,
            )
            .await
            .unwrap();
        stranger
            .send_to(
                &packet(0, 200 + seq, 16000, &[stranger_voice; 160]),
                agent_here,
            )
            .await
            .unwrap();
    }
    // Each phone then speaks; what the other hears up to that is all it could hear of
    // the stranger's packets, which came first on the same sockets.
    let caller_voice = media::g711::ulaw_encode(-8000);
    let agent_voice = media::g711::ulaw_encode(4000);
    caller_phone
        .send_to(&packet(0, 2, 320, &[caller_voice; 160]), caller_here)
        .await
        .unwrap();
    agent_phone
        .send_to(&packet(0, 2, 320, &[agent_voice; 160]), agent_here)
        .await
        .unwrap();
    for (phone, voice) in [(&agent_phone, caller_voice), (&caller_phone, agent_voice)] {
        loop {
            let p = next(phone).await;
            let payload = Packet::parse(&p).unwrap().payload.to_vec();
            assert!(
                !payload.contains(&stranger_voice),
                "a phone heard the stranger"
            );
            if payload.contains(&voice) {
                break;
            }
        }
    }
    // And nothing of the call reaches the stranger (a window: it can only miss a leak,
    // never fail a correct relay).
    assert!(silent(&stranger, 200).await, "the stranger heard the call");
    cmd.send(Command::Stop).unwrap();
    let summary = loop {
        match events.recv().await {
            Some(Event::Ended(s)) => break s,
            Some(_) => {}
            None => panic!("no summary"),
        }
    };
    // Every packet the stranger sent, and only those.
    assert_eq!(summary.strangers, nine.len() as u64 + 10, "{summary:?}");

    // Ports from a random place in the range, not one after the other.
    let mut seen = Vec::new();
    for _ in 0..8 {
        let s = ports.bind().await.unwrap();
        seen.push(s.local_addr().unwrap().port());
    }
    let in_order = seen.windows(2).all(|w| w[1] == w[0] + 2);
    assert!(!in_order, "{seen:?}");
}
