// What `proxy --metrics-listen` exposes: each proxy's counters and, per toxic, the connections
// it applied to and the frames it acted on, read from the proxy's loop at each scrape.

import Proxy
import Results

public enum ProxyMetrics {
    public static func render(_ proxies: [ProxyInfo]) -> String {
        typealias F = PrometheusText.Family
        typealias S = PrometheusText.Sample
        func per(_ value: (ProxyCounters) -> UInt64) -> [S] {
            proxies.map { S(labels: [("proxy", $0.name)], Double(value($0.counters))) }
        }
        func perToxic(_ value: (ProxyCounters, Toxic) -> UInt64?) -> [S] {
            proxies.flatMap { proxy in
                proxy.toxics.compactMap { toxic in
                    value(proxy.counters, toxic).map { S(labels: [("proxy", proxy.name), ("toxic", toxic.name), ("type", toxic.type.rawValue)], Double($0)) }
                }
            }
        }
        return PrometheusText.render([
            F("sockfuzz_proxy_enabled", .gauge, "1 while the proxy accepts connections, 0 while it is off.",
              proxies.map { S(labels: [("proxy", $0.name)], $0.enabled ? 1 : 0) }),
            F("sockfuzz_proxy_connections_total", .counter, "Client connections accepted.", per(\.accepted)),
            F("sockfuzz_proxy_active_connections", .gauge, "Client connections open now.", per(\.active)),
            F("sockfuzz_proxy_upstream_failures_total", .counter, "Connections whose upstream could not be reached.", per(\.upstreamFailures)),
            F("sockfuzz_proxy_bytes_upstream_total", .counter, "Bytes read from clients.", per(\.bytesUpstream)),
            F("sockfuzz_proxy_bytes_downstream_total", .counter, "Bytes read from the upstream.", per(\.bytesDownstream)),
            F("sockfuzz_proxy_bytes_dropped_total", .counter, "Bytes a toxic discarded.", per(\.bytesDropped)),
            F("sockfuzz_proxy_resets_total", .counter, "Connections ended with a reset.", per(\.resets)),
            F("sockfuzz_proxy_toxic_connections_total", .counter, "Connections each toxic applied to.",
              perToxic { counters, toxic in counters.toxicConnections[toxic.name] ?? 0 }),
            F("sockfuzz_proxy_toxic_frames_total", .counter, "Requests or replies each frame-aware toxic acted on.",
              perToxic { counters, toxic in toxic.type.isFrameAware ? counters.framesActedOn[toxic.name] ?? 0 : nil }),
        ])
    }
}
