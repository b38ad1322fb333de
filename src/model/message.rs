//! Messages between components (docs/model.md Appendix A). The pool handle is implicit:
//! a simulation has one pool, "CalcAppPool".

use crate::handlespace::{PeId, PolicySettings, RegistrarId};

use super::NodeId;

/// A pool element as registrars exchange it (ASAP/ENRP Pool Element parameter).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeRecord {
    pub id: PeId,
    pub home: RegistrarId,
    pub registration_life_ms: u32,
    /// Where pool users send CalcApp requests.
    pub user: NodeId,
    /// The PE's ASAP endpoint (keep-alives go there).
    pub registrator: NodeId,
    pub settings: PolicySettings,
}

/// Client-held session state of a CalcApp job (ASAP cookie).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cookie {
    pub job: u64,
    /// Job size [calculations].
    pub total: f64,
    /// Calculations done when the cookie was taken.
    pub completed: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    // ---- ASAP (PE/PU <-> registrar) ----
    Registration {
        record: PeRecord,
    },
    RegistrationResponse {
        pe: PeId,
        reject: bool,
        error: u16,
    },
    Deregistration {
        pe: PeId,
    },
    DeregistrationResponse {
        pe: PeId,
    },
    EndpointKeepAlive {
        pe: PeId,
        home: bool,
    },
    EndpointKeepAliveAck {
        pe: PeId,
    },
    EndpointUnreachable {
        pe: PeId,
    },
    HandleResolution,
    HandleResolutionResponse {
        items: Vec<PeRecord>,
        reject: bool,
    },
    // ---- ASAP between PE and PU (not counted as ASAP packets) ----
    /// `newly_saved` is the progress this cookie saves beyond the session's previous
    /// cookie [calculations]. It is not on the wire: it lets the simulation account the
    /// work that is lost when the cookie is (`lost_calculations`).
    Cookie {
        cookie: Cookie,
        newly_saved: f64,
    },
    CookieEcho(Cookie),
    // ---- ENRP (registrar <-> registrar) ----
    Presence {
        sender: RegistrarId,
        reply_required: bool,
        checksum: u16,
    },
    ListRequest {
        sender: RegistrarId,
    },
    ListResponse {
        sender: RegistrarId,
    },
    HandleTableRequest {
        sender: RegistrarId,
        own_children_only: bool,
    },
    HandleTableResponse {
        sender: RegistrarId,
        records: Vec<PeRecord>,
    },
    /// `takeover_suggested`: the receiver should invite the PE to make it its home
    /// (draft-dreibholz-rserpool-enrp-takeover).
    HandleUpdate {
        sender: RegistrarId,
        add: bool,
        record: PeRecord,
        takeover_suggested: bool,
    },
    /// Takeover of the dead peer `target` (RFC 5353).
    InitTakeover {
        sender: RegistrarId,
        target: RegistrarId,
    },
    InitTakeoverAck {
        sender: RegistrarId,
        target: RegistrarId,
    },
    /// `sender` now owns the PEs `target` owned.
    TakeoverServer {
        sender: RegistrarId,
        target: RegistrarId,
    },
    // ---- CalcApp (PU <-> PE) ----
    CalcAppRequest {
        job: u64,
        size: f64,
    },
    CalcAppAccept {
        job: u64,
    },
    CalcAppReject {
        job: u64,
    },
    CalcAppKeepAlive {
        job: u64,
    },
    CalcAppKeepAliveAck {
        job: u64,
    },
    /// `newly_saved`: as for cookies, the job's size less its progress at the session's
    /// last cookie.
    CalcAppComplete {
        job: u64,
        newly_saved: f64,
    },
    CalcAppAbort {
        job: u64,
    },
}

/// Packet classes counted by the transport nodes (docs/model.md §1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketClass {
    Asap,
    Cookie,
    Enrp,
    /// CalcApp packets and cookie echoes: not counted. Last, since the network's packet
    /// counters are an array sized by it.
    Uncounted,
}

impl Message {
    pub fn class(&self) -> PacketClass {
        use Message::*;
        match self {
            Registration { .. }
            | RegistrationResponse { .. }
            | Deregistration { .. }
            | DeregistrationResponse { .. }
            | EndpointKeepAlive { .. }
            | EndpointKeepAliveAck { .. }
            | EndpointUnreachable { .. }
            | HandleResolution
            | HandleResolutionResponse { .. } => PacketClass::Asap,
            Cookie { .. } => PacketClass::Cookie,
            Presence { .. }
            | ListRequest { .. }
            | ListResponse { .. }
            | HandleTableRequest { .. }
            | HandleTableResponse { .. }
            | HandleUpdate { .. }
            | InitTakeover { .. }
            | InitTakeoverAck { .. }
            | TakeoverServer { .. } => PacketClass::Enrp,
            _ => PacketClass::Uncounted,
        }
    }

    /// Calculations this message saves, if it is a cookie or a completion (see
    /// [`Message::Cookie`]).
    pub fn newly_saved(&self) -> f64 {
        match self {
            Message::Cookie { newly_saved, .. } | Message::CalcAppComplete { newly_saved, .. } => *newly_saved,
            _ => 0.0,
        }
    }

    /// A small stable tag per message type, folded into the run fingerprint.
    pub fn tag(&self) -> u64 {
        use Message::*;
        match self {
            Registration { .. } => 1,
            RegistrationResponse { .. } => 2,
            Deregistration { .. } => 3,
            DeregistrationResponse { .. } => 4,
            EndpointKeepAlive { .. } => 5,
            EndpointKeepAliveAck { .. } => 6,
            EndpointUnreachable { .. } => 7,
            HandleResolution => 8,
            HandleResolutionResponse { .. } => 9,
            Cookie { .. } => 10,
            CookieEcho(_) => 11,
            Presence { .. } => 12,
            ListRequest { .. } => 13,
            ListResponse { .. } => 14,
            HandleTableRequest { .. } => 15,
            HandleTableResponse { .. } => 16,
            HandleUpdate { .. } => 17,
            CalcAppRequest { .. } => 18,
            CalcAppAccept { .. } => 19,
            CalcAppReject { .. } => 20,
            CalcAppKeepAlive { .. } => 21,
            CalcAppKeepAliveAck { .. } => 22,
            CalcAppComplete { .. } => 23,
            CalcAppAbort { .. } => 24,
            InitTakeover { .. } => 25,
            InitTakeoverAck { .. } => 26,
            TakeoverServer { .. } => 27,
        }
    }
}
