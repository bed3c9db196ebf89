//! The merged summary's request figures: the shards' summed (attempts, retries, cache
//! hits, failures, tokens; per model and per replica), since each shard's summary counts
//! what its own process sent. Figures of one process's behaviour over time (the adaptive
//! concurrency reached, latencies) are combined as their maxima or weighted means.

use std::collections::BTreeMap;

use crate::journal::summary::{ConcurrencyReached, EndpointStats, ModelRequests, Requests};

/// The shards' request figures together; `per_second` over `wall_time_s`.
pub fn sum<'a>(parts: impl IntoIterator<Item = &'a Requests>, wall_time_s: f64) -> Requests {
    let mut total = Requests::default();
    for r in parts {
        total.sent += r.sent;
        total.retries += r.retries;
        total.cache_hits += r.cache_hits;
        total.failed_calls += r.failed_calls;
        total.prompt_tokens += r.prompt_tokens;
        total.completion_tokens += r.completion_tokens;
        for (label, m) in &r.by_model {
            add_model(total.by_model.entry(label.clone()).or_default(), m);
        }
    }
    total.per_second = if wall_time_s > 0.0 {
        (total.sent as f64 / wall_time_s * 100.0).round() / 100.0
    } else {
        0.0
    };
    total
}

fn add_model(into: &mut ModelRequests, m: &ModelRequests) {
    into.sent += m.sent;
    into.retries += m.retries;
    into.cache_hits += m.cache_hits;
    into.failed_calls += m.failed_calls;
    into.prompt_tokens += m.prompt_tokens;
    into.completion_tokens += m.completion_tokens;
    let mut by_url: BTreeMap<String, EndpointStats> = into
        .endpoints
        .drain(..)
        .map(|e| (e.url.clone(), e))
        .collect();
    for e in &m.endpoints {
        match by_url.get_mut(&e.url) {
            Some(have) => add_endpoint(have, e),
            None => {
                by_url.insert(e.url.clone(), e.clone());
            }
        }
    }
    // Kept in the order the card lists them where the first shard had them all.
    let order: Vec<String> = m.endpoints.iter().map(|e| e.url.clone()).collect();
    let mut endpoints: Vec<EndpointStats> = order.iter().filter_map(|u| by_url.remove(u)).collect();
    endpoints.extend(by_url.into_values());
    into.endpoints = endpoints;
    into.concurrency = match (into.concurrency.take(), &m.concurrency) {
        (Some(a), Some(b)) => Some(add_concurrency(&a, b)),
        (a, b) => a.or_else(|| b.clone()),
    };
}

fn add_endpoint(into: &mut EndpointStats, e: &EndpointStats) {
    let answered = |s: &EndpointStats| s.requests.saturating_sub(s.errors) as f64;
    let (wa, wb) = (answered(into), answered(e));
    into.mean_latency_ms = if wa + wb > 0.0 {
        (into.mean_latency_ms * wa + e.mean_latency_ms * wb) / (wa + wb)
    } else {
        0.0
    };
    into.requests += e.requests;
    into.errors += e.errors;
    into.breaker_trips += e.breaker_trips;
}

fn add_concurrency(a: &ConcurrencyReached, b: &ConcurrencyReached) -> ConcurrencyReached {
    ConcurrencyReached {
        final_limit: a.final_limit.max(b.final_limit),
        max: a.max.max(b.max),
        mean: a.mean.max(b.mean),
        limit: a.limit.max(b.limit),
        overloaded: a.overloaded + b.overloaded,
        decreases: a.decreases + b.decreases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_requests_add_up_per_model_and_replica() {
        let shard = |sent: u64, url_requests: u64| Requests {
            sent,
            retries: 1,
            prompt_tokens: 10,
            by_model: BTreeMap::from([(
                "answer mock".to_string(),
                ModelRequests {
                    sent,
                    retries: 1,
                    prompt_tokens: 10,
                    endpoints: vec![EndpointStats {
                        url: "http://a/v1".into(),
                        requests: url_requests,
                        errors: 0,
                        mean_latency_ms: if url_requests == 2 { 10.0 } else { 40.0 },
                        breaker_trips: 0,
                    }],
                    ..ModelRequests::default()
                },
            )]),
            ..Requests::default()
        };
        let (a, b) = (shard(3, 2), shard(5, 6));
        let total = sum([&a, &b], 2.0);
        assert_eq!(total.sent, 8);
        assert_eq!(total.retries, 2);
        assert_eq!(total.prompt_tokens, 20);
        assert_eq!(total.per_second, 4.0);
        let m = &total.by_model["answer mock"];
        assert_eq!(m.sent, 8);
        assert_eq!(m.endpoints.len(), 1);
        assert_eq!(m.endpoints[0].requests, 8);
        // (2 x 10 + 6 x 40) / 8
        assert_eq!(m.endpoints[0].mean_latency_ms, 32.5);
    }
}
