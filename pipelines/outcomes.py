"""Vendor call results -> one normalized outcome, written down once.

`OUTCOME_MAP[(provider, raw)]` gives the outcome of a raw vendor value, where `raw` is
the value lowercased and trimmed (`normalize_raw`). `refresh_views` materializes the map
as the table `analytics.outcome_map(provider, raw_value, outcome)` and every analyst view
joins it, so SQL and Python agree. A value not in the map becomes `other` (the raw value
is kept next to it in the views).

Which raw field is looked up (see docs/DATA_DICTIONARY.md):

  zoom_phone           call_history.call_result, call_elements.result (current family);
                       call_logs.result, call_log_legs.result (legacy family)
  zoom_contact_center  voice_calls.result (queue/agent legs inherit it, see call_legs)
  zoho_voice           call_logs.hangup_cause; `missed` when call_type is missed (Zoho
                       reports some missed calls with NORMAL_CLEARING), call_type when
                       hangup_cause is empty

Outcomes:
  answered   a person (user, agent) took the call
  missed     rang, nobody answered (incl. "Answered by Other Member": that leg missed it)
  voicemail  went to voicemail
  abandoned  the caller hung up / cancelled before anyone answered
  rejected   declined, busy or blocked
  failed     could not be set up (invalid number, network/service error)
  forwarded  routing step that passed the call on (auto receptionist menu, queue routing,
             transfer, overflow); seen on legs, not on whole calls
  other      anything else (in progress, unknown values): the raw value is kept
"""

from __future__ import annotations

ANSWERED = "answered"
MISSED = "missed"
VOICEMAIL = "voicemail"
ABANDONED = "abandoned"
REJECTED = "rejected"
FAILED = "failed"
FORWARDED = "forwarded"
OTHER = "other"
OUTCOMES = (ANSWERED, MISSED, VOICEMAIL, ABANDONED, REJECTED, FAILED, FORWARDED, OTHER)

ZOOM_PHONE = "zoom_phone"
ZOOM_CONTACT_CENTER = "zoom_contact_center"
ZOHO_VOICE = "zoho_voice"

# Raw values per provider and outcome, as the vendors write them (they are normalized
# below). Sources: the vendor docs in /work/shared/api-reference, API-NOTES.md (undocumented
# values seen by other connectors) and what sandbox/ emits (marked "sandbox").
_RAW: dict[str, dict[str, tuple[str, ...]]] = {
    ZOOM_PHONE: {
        ANSWERED: (
            "Call connected",          # legacy call logs / log_details (doc, sandbox)
            "call_connected",          # legacy call logs (doc sample)
            "answered",                # call history call_result, call element result (sandbox)
            "connected", "accepted", "picked_up", "succeeded",   # call history enum (Zoom doc)
            "Recorded",                # legacy: a recorded (hence connected) call
        ),
        MISSED: (
            "No Answer", "no_answer",  # legacy and call history (sandbox)
            "Answered by Other Member",  # legacy leg: another member took it (doc, sandbox)
            "answered_by_other_member", "answered_by_other",
            "Missed", "ring_timeout", "Ring Timeout",
            "unconnected",             # undocumented call_result (API-NOTES, sandbox quirk)
            "pickup_by_other", "picked_up_by_other",
        ),
        VOICEMAIL: ("Voicemail", "voice_mail", "Forwarded to Voicemail", "left_voicemail"),
        ABANDONED: (
            "Call Cancel",             # legacy (sandbox)
            "Call Cancelled", "Call Canceled", "canceled", "cancelled", "cancel",
            "abandoned",               # call history / call elements (sandbox)
            "caller_cancel", "Hang Up", "hang_up",
        ),
        REJECTED: (
            "Rejected", "Call Rejected", "Busy", "Blocked", "Call Blocked", "system_blocked",
            "Restricted Call", "declined",
        ),
        FAILED: (
            "Call Failed", "call_failed", "failed", "Invalid Operation", "invalid_operation",
            "invalid_key", "Invalid Key", "Internal Error", "service_unavailable", "Service Unavailable",
            "Unavailable",
        ),
        FORWARDED: (
            "Forwarded",               # legacy routing leg (sandbox)
            "forwarded",               # call element result of a routing step (sandbox)
            "Auto Recorded",           # legacy routing leg with automatic recording (doc, sandbox)
            "Call Forwarded", "Transferred", "transfer", "overflowed", "Overflowed", "routed",
        ),
    },
    ZOOM_CONTACT_CENTER: {
        ANSWERED: (
            "completed",               # (doc sample enum, sandbox)
            "transferred",             # answered by an agent, then transferred (sandbox quirk)
            "overflowed",              # overflowed to another queue and handled there (sandbox)
            "long_calls", "short_calls",  # completed calls by length (definition enum)
            "answered", "connected",
        ),
        MISSED: ("missed", "no_answer", "ring_no_answer",
                 "overflowed_to_disconnect"),  # overflow ended the call, nobody answered (definition enum)
        VOICEMAIL: ("voicemail", "inbox",
                    "overflowed_to_inbox"),    # overflowed to a voicemail inbox (definition enum, sandbox)
        ABANDONED: (
            "abandoned", "short_abandoned", "long_abandoned",   # (doc sample, sandbox)
            "hang_up_calls",           # consumer hung up (doc sample, sandbox)
            "hold_abandoned", "abandon_quit", "callback_abandoned_by_consumer",  # (definition enum)
            "abandoned_in_queue", "canceled", "cancelled",
        ),
        REJECTED: ("declined", "rejected", "busy", "blocked"),
        FAILED: ("failed", "call_failed", "error"),
        OTHER: ("in_progress",),       # engagement not finished yet (sandbox late arrivals)
    },
    ZOHO_VOICE: {
        ANSWERED: (
            "NORMAL_CLEARING",         # hangup_cause "Successful call" (doc, sandbox)
            "ATTENDED_TRANSFER", "BLIND_TRANSFER",
        ),
        MISSED: (
            "NO_ANSWER",               # hangup_cause "No answer" (sandbox)
            "missed",                  # call_type (doc, sandbox)
            "NO_USER_RESPONSE", "SUBSCRIBER_ABSENT", "LOSE_RACE", "PICKED_OFF",
        ),
        VOICEMAIL: ("voicemail",),
        ABANDONED: ("ORIGINATOR_CANCEL",),
        REJECTED: ("USER_BUSY", "CALL_REJECTED", "OUTGOING_CALL_BARRED", "INCOMING_CALL_BARRED"),
        FAILED: (
            "UNALLOCATED_NUMBER", "INVALID_NUMBER_FORMAT", "NO_ROUTE_DESTINATION", "NORMAL_TEMPORARY_FAILURE",
            "DESTINATION_OUT_OF_ORDER", "NETWORK_OUT_OF_ORDER", "RECOVERY_ON_TIMER_EXPIRE", "MEDIA_TIMEOUT",
            "INCOMPATIBLE_DESTINATION", "SERVICE_UNAVAILABLE", "NORMAL_CIRCUIT_CONGESTION",
            "GATEWAY_DOWN", "EXCHANGE_ROUTING_ERROR",
        ),
    },
}


def normalize_raw(value: object) -> str | None:
    """The lookup form of a raw vendor value: trimmed, lowercased; None for empty."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return text or None


def _build() -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for provider, by_outcome in _RAW.items():
        for outcome, values in by_outcome.items():
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}")
            for value in values:
                key = (provider, normalize_raw(value))
                if key in out and out[key] != outcome:
                    raise ValueError(f"{key} maps to both {out[key]!r} and {outcome!r}")
                out[key] = outcome
    return out


OUTCOME_MAP: dict[tuple[str, str], str] = _build()


def outcome_for(provider: str, raw: object) -> str:
    """Python twin of the views' lookup: unknown or empty values are `other`."""
    key = normalize_raw(raw)
    if key is None:
        return OTHER
    return OUTCOME_MAP.get((provider, key), OTHER)


def map_rows() -> list[tuple[str, str, str]]:
    """(provider, raw_value, outcome) rows of `analytics.outcome_map`, sorted."""
    return sorted((p, raw, outcome) for (p, raw), outcome in OUTCOME_MAP.items())
