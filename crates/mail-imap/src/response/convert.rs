//! Parenthesized [`Value`]s: the accessors the parser uses, and their
//! conversion to typed ENVELOPE and BODYSTRUCTURE items (RFC 3501 §7.4.2).

use super::types::{Address, BodyStructure, Envelope, Value};

impl Value {
    pub(super) fn into_nstring(self) -> Option<Vec<u8>> {
        match self {
            Value::String(b) => Some(b),
            Value::Atom(a) => Some(a.into_bytes()),
            Value::Number(n) => Some(n.to_string().into_bytes()),
            _ => None,
        }
    }

    pub(super) fn into_list(self) -> Vec<Value> {
        match self {
            Value::List(items) => items,
            _ => Vec::new(),
        }
    }

    pub(super) fn nstring(&self) -> Option<Vec<u8>> {
        match self {
            Value::String(b) => Some(b.clone()),
            Value::Atom(a) => Some(a.clone().into_bytes()),
            Value::Number(n) => Some(n.to_string().into_bytes()),
            _ => None,
        }
    }

    pub(super) fn list(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }
}

fn address_list(v: Value) -> Vec<Address> {
    v.into_list()
        .into_iter()
        .filter_map(|a| {
            let [name, adl, mailbox, host] = <[Value; 4]>::try_from(a.into_list()).ok()?;
            Some(Address {
                name: name.into_nstring(),
                adl: adl.into_nstring(),
                mailbox: mailbox.into_nstring(),
                host: host.into_nstring(),
            })
        })
        .collect()
}

pub(super) fn envelope(v: Value) -> Option<Envelope> {
    let [date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id] =
        <[Value; 10]>::try_from(v.into_list()).ok()?;
    Some(Envelope {
        date: date.into_nstring(),
        subject: subject.into_nstring(),
        from: address_list(from),
        sender: address_list(sender),
        reply_to: address_list(reply_to),
        to: address_list(to),
        cc: address_list(cc),
        bcc: address_list(bcc),
        in_reply_to: in_reply_to.into_nstring(),
        message_id: message_id.into_nstring(),
    })
}

fn text_of(v: Value) -> String {
    v.into_nstring()
        .map(|b| {
            String::from_utf8(b)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        })
        .unwrap_or_default()
}

/// Nesting deeper than this is refused rather than recursed into.
const MAX_BODY_DEPTH: usize = 64;

pub(super) fn body_structure(v: Value, depth: usize) -> Option<BodyStructure> {
    if depth > MAX_BODY_DEPTH {
        return None;
    }
    let items = v.into_list();
    if matches!(items.first(), Some(Value::List(_))) {
        let split = items.iter().position(|i| !matches!(i, Value::List(_)))?;
        let mut items = items.into_iter();
        let parts = items
            .by_ref()
            .take(split)
            .map(|p| body_structure(p, depth + 1))
            .collect::<Option<Vec<_>>>()?;
        let subtype = text_of(items.next()?);
        return Some(BodyStructure::Multipart {
            parts,
            subtype,
            extension: items.collect(),
        });
    }
    let mut items = items.into_iter();
    let media_type = text_of(items.next()?);
    let subtype = text_of(items.next()?);
    let params = items.next()?;
    let id = items.next()?.into_nstring();
    let description = items.next()?.into_nstring();
    let encoding = text_of(items.next()?);
    let size = match items.next()? {
        Value::Number(n) => n,
        _ => return None,
    };
    let mut params_out = Vec::new();
    let mut kv = params.into_list().into_iter();
    while let (Some(k), Some(v)) = (kv.next(), kv.next()) {
        params_out.push((text_of(k), text_of(v)));
    }
    let mut rest: Vec<Value> = items.collect();
    let mut lines = None;
    let mut message = None;
    let is_message = media_type.eq_ignore_ascii_case("MESSAGE")
        && (subtype.eq_ignore_ascii_case("RFC822") || subtype.eq_ignore_ascii_case("GLOBAL"));
    if is_message && matches!(rest.get(2), Some(Value::Number(_))) {
        let mut it = rest.into_iter();
        let (env, body, n) = (it.next()?, it.next()?, it.next()?);
        message = Some(Box::new((envelope(env)?, body_structure(body, depth + 1)?)));
        lines = if let Value::Number(n) = n {
            Some(n)
        } else {
            None
        };
        rest = it.collect();
    } else if media_type.eq_ignore_ascii_case("TEXT") {
        if let Some(Value::Number(n)) = rest.first() {
            lines = Some(*n);
            rest.remove(0);
        }
    }
    Some(BodyStructure::Single {
        media_type,
        subtype,
        params: params_out,
        id,
        description,
        encoding,
        size,
        lines,
        message,
        extension: rest,
    })
}
