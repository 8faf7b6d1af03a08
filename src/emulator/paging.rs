//! List paging (EMULATOR.md, "What it emulates": lists): page sizes, and opaque page tokens
//! bound to the request.
//!
//! A token is URL-safe base64 of `[version][cursor kind][cursor][mac]`. The cursor is the
//! last name returned (default order: the next page is a range scan after it, so a page
//! costs O(page + log n) however big the collection) or an offset (custom `order_by`). The
//! MAC is a keyed hash of the cursor and of every parameter that must not change between
//! pages (method, parent, filter, order_by), with a per-emulator secret: a token from
//! another request, or edited, is INVALID_ARGUMENT.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::ops::Bound;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tonic::Status;

use super::errors;
use super::filter::{Filter, Filterable, OrderBy};

const VERSION: u8 = 1;
const MAX_TOKEN_LEN: usize = 4096;

/// Where the next page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// After this key (default order).
    After(String),
    /// After this many items (custom order).
    Offset(u64),
}

/// The parameters of one List request that paging needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ListParams<'a> {
    pub(crate) method: &'static str,
    pub(crate) parent: &'a str,
    pub(crate) page_size: i32,
    pub(crate) page_token: &'a str,
    pub(crate) filter: &'a str,
    pub(crate) order_by: &'a str,
}

/// Encodes and checks page tokens with one secret.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tokens {
    pub(crate) secret: u64,
}

impl Tokens {
    fn mac(&self, params: &ListParams<'_>, kind: u8, cursor: &[u8]) -> u64 {
        // SipHash with fixed keys, seeded by the secret: not cryptographic, but enough to
        // make a forged or mismatched token fail instead of silently paging wrong.
        let mut h = std::hash::DefaultHasher::new();
        self.secret.hash(&mut h);
        params.method.hash(&mut h);
        params.parent.hash(&mut h);
        params.filter.hash(&mut h);
        params.order_by.hash(&mut h);
        kind.hash(&mut h);
        cursor.hash(&mut h);
        h.finish()
    }

    pub(crate) fn encode(&self, params: &ListParams<'_>, cursor: &Cursor) -> String {
        let (kind, bytes) = match cursor {
            Cursor::After(key) => (0u8, key.as_bytes().to_vec()),
            Cursor::Offset(n) => (1u8, n.to_be_bytes().to_vec()),
        };
        let mut out = Vec::with_capacity(bytes.len() + 10);
        out.push(VERSION);
        out.push(kind);
        out.extend_from_slice(&bytes);
        out.extend_from_slice(&self.mac(params, kind, &bytes).to_be_bytes());
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The cursor of `params.page_token` (None for the first page).
    pub(crate) fn decode(&self, params: &ListParams<'_>) -> Result<Option<Cursor>, Status> {
        let token = params.page_token;
        if token.is_empty() {
            return Ok(None);
        }
        let bad = || {
            errors::invalid(
                "page_token",
                "the page token is invalid, or was returned for a request with other parameters",
            )
        };
        if token.len() > MAX_TOKEN_LEN {
            return Err(bad());
        }
        let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        if raw.len() < 10 || raw[0] != VERSION {
            return Err(bad());
        }
        let kind = raw[1];
        let (cursor, mac) = raw[2..].split_at(raw.len() - 10);
        let mac = u64::from_be_bytes(mac.try_into().map_err(|_| bad())?);
        if mac != self.mac(params, kind, cursor) {
            return Err(bad());
        }
        match kind {
            0 => String::from_utf8(cursor.to_vec())
                .map(|s| Some(Cursor::After(s)))
                .map_err(|_| bad()),
            1 => Ok(Some(Cursor::Offset(u64::from_be_bytes(
                cursor.try_into().map_err(|_| bad())?,
            )))),
            _ => Err(bad()),
        }
    }
}

/// The effective page size: default when 0, coerced to the maximum, negative rejected.
pub(crate) fn page_size(requested: i32, default: usize, max: usize) -> Result<usize, Status> {
    match usize::try_from(requested) {
        Err(_) => Err(errors::invalid("page_size", "must not be negative")),
        Ok(0) => Ok(default.clamp(1, max.max(1))),
        Ok(n) => Ok(n.min(max.max(1))),
    }
}

/// Parses the request's filter and order_by for items of type `T`.
pub(crate) fn compile<T: Filterable>(
    params: &ListParams<'_>,
) -> Result<(Filter<T>, OrderBy<T>), Status> {
    let to_status = |e: super::filter::FilterError| errors::invalid(e.field, e.description);
    Ok((
        Filter::parse(params.filter).map_err(to_status)?,
        OrderBy::parse(params.order_by).map_err(to_status)?,
    ))
}

/// One page of the values of `map` whose keys start with `prefix`, projected to `T`,
/// filtered and ordered as the request asks; returns the items and the next page token.
///
/// `descending` reverses the default order (ListOperations: newest first).
pub(crate) fn page<V, T>(
    map: &BTreeMap<String, V>,
    prefix: &str,
    params: &ListParams<'_>,
    limits: (usize, usize),
    tokens: Tokens,
    descending: bool,
    project: impl Fn(&V) -> &T,
) -> Result<(Vec<T>, String), Status>
where
    T: Filterable + Clone,
{
    let size = page_size(params.page_size, limits.0, limits.1)?;
    let (filter, order) = compile::<T>(params)?;
    let cursor = tokens.decode(params)?;
    let in_scope = |k: &String| k.starts_with(prefix);

    if order.is_default() {
        let after = match cursor {
            None => None,
            Some(Cursor::After(key)) => Some(key),
            Some(Cursor::Offset(_)) => {
                return Err(errors::invalid(
                    "page_token",
                    "the page token does not match the order",
                ));
            }
        };
        let upper = prefix_end(prefix);
        let range: Box<dyn Iterator<Item = (&String, &V)>> = if descending {
            let hi = match &after {
                Some(k) => Bound::Excluded(k.clone()),
                None => upper.map_or(Bound::Unbounded, Bound::Excluded),
            };
            Box::new(
                map.range::<String, _>((Bound::Included(prefix.to_owned()), hi))
                    .rev(),
            )
        } else {
            let lo = match &after {
                Some(k) => Bound::Excluded(k.clone()),
                None => Bound::Included(prefix.to_owned()),
            };
            let hi = upper.map_or(Bound::Unbounded, Bound::Excluded);
            Box::new(map.range::<String, _>((lo, hi)))
        };
        let mut items = Vec::with_capacity(size.min(map.len()));
        let mut last = None;
        let mut more = false;
        let scoped = range
            .skip_while(|(k, _)| !in_scope(k))
            .take_while(|(k, _)| in_scope(k));
        for (key, value) in scoped {
            let item = project(value);
            if !filter.matches(item) {
                continue;
            }
            if items.len() == size {
                more = true;
                break;
            }
            items.push(item.clone());
            last = Some(key);
        }
        let next = match (more, last) {
            (true, Some(key)) => tokens.encode(params, &Cursor::After(key.clone())),
            _ => String::new(),
        };
        return Ok((items, next));
    }

    // Custom order: sort references to the matching items, then page by offset.
    let offset = match cursor {
        None => 0,
        Some(Cursor::Offset(n)) => usize::try_from(n).unwrap_or(usize::MAX),
        Some(Cursor::After(_)) => {
            return Err(errors::invalid(
                "page_token",
                "the page token does not match the order",
            ));
        }
    };
    let upper = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
    let mut matching: Vec<&T> = map
        .range::<String, _>((Bound::Included(prefix.to_owned()), upper))
        .take_while(|(k, _)| in_scope(k))
        .map(|(_, v)| project(v))
        .filter(|item| filter.matches(item))
        .collect();
    matching.sort_by(|a, b| order.compare(a, b));
    let items: Vec<T> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|t| (*t).clone())
        .collect();
    let end = offset.saturating_add(items.len());
    let next = if end < matching.len() {
        tokens.encode(params, &Cursor::Offset(end as u64))
    } else {
        String::new()
    };
    Ok((items, next))
}

/// The smallest string greater than every string starting with `prefix`, if any.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(token: &'a str, filter: &'a str) -> ListParams<'a> {
        ListParams {
            method: "ListChannels",
            parent: "projects/p/locations/l",
            page_size: 10,
            page_token: token,
            filter,
            order_by: "",
        }
    }

    #[test]
    fn tokens_round_trip_and_bind_to_the_request() {
        let tokens = Tokens { secret: 7 };
        let token = tokens.encode(&params("", ""), &Cursor::After("a/b".into()));
        assert_eq!(
            tokens.decode(&params(&token, "")).unwrap(),
            Some(Cursor::After("a/b".into()))
        );
        assert!(tokens.decode(&params(&token, "x = 1")).is_err());
        assert!(Tokens { secret: 8 }.decode(&params(&token, "")).is_err());
        assert!(tokens.decode(&params("garbage!", "")).is_err());
        assert!(tokens.decode(&params("AAAA", "")).is_err());
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(0, 100, 1000).unwrap(), 100);
        assert_eq!(page_size(5000, 100, 1000).unwrap(), 1000);
        assert!(page_size(-1, 100, 1000).is_err());
    }

    #[test]
    fn deep_pages_over_100k_channels_are_range_scans() {
        use crate::emulator::config::EmulatorConfig;
        use crate::emulator::store::{ChannelRec, State};
        use crate::v1::Channel;
        let mut state = State::new(EmulatorConfig::default());
        for i in 0..100_000 {
            let name = format!("projects/p/locations/l/channels/ch-{i:06}");
            let channel = Channel {
                name: name.clone(),
                ..Default::default()
            };
            state.channels.insert(
                name,
                ChannelRec {
                    channel,
                    ..Default::default()
                },
            );
        }
        let prefix = "projects/p/locations/l/channels/";
        let mut token = String::new();
        let mut seen = 0;
        let started = std::time::Instant::now();
        loop {
            let params = ListParams {
                method: "ListChannels",
                parent: "projects/p/locations/l",
                page_size: 1000,
                page_token: &token,
                filter: "",
                order_by: "",
            };
            let (items, next) = state
                .list(&state.channels, prefix, params, false, |r| &r.channel)
                .unwrap();
            seen += items.len();
            if next.is_empty() {
                break;
            }
            token = next;
        }
        assert_eq!(seen, 100_000);
        // Informational (debug builds vary too much to assert on time).
        eprintln!(
            "100 pages of 1000 over 100k channels: {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end("a/").as_deref(), Some("a0"));
    }
}
