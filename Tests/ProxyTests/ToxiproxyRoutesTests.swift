// toxiproxy's API as its clients see it: the JSON shapes and defaults, and the status codes of
// its errors (404 unknown, 409 exists, 400 invalid), route by route, without sockets for the API.

import Foundation
import Proxy
import Testing
import TestSupport

@Suite("toxiproxy API routes", .sharesDescriptorTable)
struct ToxiproxyRoutesTests {
    private func call(_ server: ProxyServer, _ method: String, _ path: String, _ body: String = "") -> (Int, Any?) {
        let response = ToxiproxyRoutes.respond(to: APIRequest(method: method, path: path, body: Array(body.utf8)), using: server)
        return (response.status, response.body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(response.body)))
    }

    @Test("a proxy is created with toxiproxy's shape, listed, shown, and a second of its name is a conflict")
    func proxies() throws {
        let server = try ProxyServer(seed: 1)
        defer { server.stop() }
        let (status, created) = call(server, "POST", "/proxies", #"{"name":"db","upstream":"127.0.0.1:9","listen":"127.0.0.1:0"}"#)
        #expect(status == 201)
        let proxy = try #require(created as? [String: Any])
        #expect(proxy["name"] as? String == "db")
        #expect(proxy["upstream"] as? String == "127.0.0.1:9")
        #expect(proxy["enabled"] as? Bool == true)
        #expect((proxy["listen"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect((proxy["listen"] as? String) != "127.0.0.1:0", "listen must say the port it got")
        #expect((proxy["toxics"] as? [Any])?.isEmpty == true)
        #expect(call(server, "POST", "/proxies", #"{"name":"db","upstream":"127.0.0.1:9"}"#).0 == 409)
        #expect(call(server, "POST", "/proxies", #"{"upstream":"127.0.0.1:9"}"#).0 == 400)
        let index = try #require(call(server, "GET", "/proxies").1 as? [String: Any])
        #expect(Array(index.keys) == ["db"])
        #expect(call(server, "GET", "/proxies/db").0 == 200)
        #expect(call(server, "GET", "/proxies/nope").0 == 404)
        let disabled = try #require(call(server, "POST", "/proxies/db", #"{"enabled":false}"#).1 as? [String: Any])
        #expect(disabled["enabled"] as? Bool == false)
        #expect(call(server, "DELETE", "/proxies/db").0 == 204)
        #expect(call(server, "GET", "/proxies/db").0 == 404)
    }

    @Test("a toxic takes toxiproxy's defaults (downstream, toxicity 1, TYPE_STREAM) and its attributes update by merge")
    func toxics() throws {
        let server = try ProxyServer(seed: 1)
        defer { server.stop() }
        _ = call(server, "POST", "/proxies", #"{"name":"db","upstream":"127.0.0.1:9","listen":"127.0.0.1:0"}"#)
        let (status, created) = call(server, "POST", "/proxies/db/toxics", #"{"type":"latency","attributes":{"latency":100}}"#)
        #expect(status == 200)
        let toxic = try #require(created as? [String: Any])
        #expect(toxic["name"] as? String == "latency_downstream")
        #expect(toxic["stream"] as? String == "downstream")
        #expect((toxic["toxicity"] as? NSNumber)?.doubleValue == 1)
        #expect((toxic["attributes"] as? [String: Any])?["latency"] as? Int == 100)
        #expect((toxic["attributes"] as? [String: Any])?["jitter"] as? Int == 0)
        #expect(call(server, "POST", "/proxies/db/toxics", #"{"type":"latency"}"#).0 == 409)
        #expect(call(server, "POST", "/proxies/db/toxics", #"{"type":"gremlins"}"#).0 == 400)
        // Past a year (or a petabyte) is refused, not overflowed into a crash at the next connection.
        #expect(call(server, "POST", "/proxies/db/toxics", #"{"type":"latency","name":"huge","attributes":{"latency":9223372036854775807}}"#).0 == 400)
        #expect(call(server, "POST", "/proxies/db/toxics", #"{"type":"bandwidth","attributes":{"rate":9223372036854775807}}"#).0 == 400)
        #expect(call(server, "POST", "/proxies/db/toxics", #"{"type":"latency","stream":"sideways","name":"x"}"#).0 == 400)
        let updated = try #require(call(server, "POST", "/proxies/db/toxics/latency_downstream", #"{"attributes":{"jitter":5}}"#).1 as? [String: Any])
        #expect((updated["attributes"] as? [String: Any])?["latency"] as? Int == 100)
        #expect((updated["attributes"] as? [String: Any])?["jitter"] as? Int == 5)
        #expect((call(server, "GET", "/proxies/db/toxics").1 as? [Any])?.count == 1)
        #expect(call(server, "GET", "/proxies/db/toxics/latency_downstream").0 == 200)
        #expect(call(server, "DELETE", "/proxies/db/toxics/latency_downstream").0 == 204)
        #expect(call(server, "DELETE", "/proxies/db/toxics/latency_downstream").0 == 404)
    }

    @Test("what toxiproxy takes, the API takes: noop, a stream in any case, attributes a toxic does not have (ignored)")
    func lenientAsToxiproxy() throws {
        let server = try ProxyServer(seed: 1)
        defer { server.stop() }
        _ = call(server, "POST", "/proxies", #"{"name":"db","upstream":"127.0.0.1:9","listen":"127.0.0.1:0"}"#)
        #expect(call(server, "POST", "/proxies/db/toxics", #"{"type":"noop"}"#).0 == 200)
        let upper = try #require(call(server, "POST", "/proxies/db/toxics", #"{"type":"latency","stream":"UPSTREAM"}"#).1 as? [String: Any])
        #expect(upper["stream"] as? String == "upstream" && upper["name"] as? String == "latency_upstream")
        let extra = try #require(call(server, "POST", "/proxies/db/toxics",
                                      #"{"type":"bandwidth","attributes":{"rate":64,"jiter":5}}"#).1 as? [String: Any])
        #expect((extra["attributes"] as? [String: Any])?.keys.sorted() == ["rate"])
        let patched = call(server, "POST", "/proxies/db/toxics/bandwidth_downstream", #"{"attributes":{"rate":32,"burst":1}}"#)
        #expect(patched.0 == 200 && ((patched.1 as? [String: Any])?["attributes"] as? [String: Any])?["rate"] as? Int == 32, "\(String(describing: patched.1))")
    }

    @Test("reset enables every proxy and removes every toxic; populate creates, keeps, and replaces")
    func resetAndPopulate() throws {
        let server = try ProxyServer(seed: 1)
        defer { server.stop() }
        let (status, body) = call(server, "POST", "/populate",
                                  #"[{"name":"a","upstream":"127.0.0.1:9","listen":"127.0.0.1:0"},{"name":"b","upstream":"127.0.0.1:10","enabled":false}]"#)
        #expect(status == 201)
        #expect(((body as? [String: Any])?["proxies"] as? [Any])?.count == 2)
        _ = call(server, "POST", "/proxies/a/toxics", #"{"type":"timeout","attributes":{"timeout":0}}"#)
        #expect(call(server, "POST", "/reset").0 == 204)
        let index = try #require(call(server, "GET", "/proxies").1 as? [String: [String: Any]])
        #expect(index["a"]?["toxics"] as? [Any] != nil && (index["a"]?["toxics"] as? [Any])?.isEmpty == true)
        #expect(index["b"]?["enabled"] as? Bool == true)
        let refused = call(server, "POST", "/populate", #"[{"name":"","upstream":"x:1"}]"#)
        #expect(refused.0 == 400)
        #expect((refused.1 as? [String: Any])?["proxies"] != nil, "toxiproxy's populate always answers with proxies")
    }

    @Test("a browser is refused, an unknown path is 404, version answers")
    func edges() throws {
        let server = try ProxyServer(seed: 1)
        defer { server.stop() }
        let browser = ToxiproxyRoutes.respond(to: APIRequest(method: "GET", path: "/proxies", userAgent: "Mozilla/5.0"), using: server)
        #expect(browser.status == 403)
        #expect(call(server, "GET", "/nothing").0 == 404)
        #expect(call(server, "GET", "/version").0 == 200)
    }

    @Test("toxic words: units convert to toxiproxy's exactly, and what cannot is refused naming it")
    func toxicText() throws {
        let toxic = try ToxicText.parse(["latency", "latency=1s", "jitter=20ms", "upstream", "toxicity=0.5"])
        #expect(toxic["latency"] == 1000 && toxic["jitter"] == 20 && toxic.stream == .upstream && toxic.toxicity == 0.5)
        #expect(toxic.name == "latency_upstream")
        #expect(try ToxicText.parse(["bandwidth", "rate=1MB/s"])["rate"] == 1000)
        #expect(try ToxicText.parse(["slicer", "delay=2ms"])["delay"] == 2000)
        #expect(throws: ToxicError.self) { try ToxicText.parse(["latency", "latency=1500us"]) }
        #expect(throws: ToxicError.self) { try ToxicText.parse(["latency", "latency=100"]) }
        #expect(throws: ToxicError.self) { try ToxicText.parse(["latency", "rate=1KB/s"]) }
        // Written, a bandwidth toxic needs its limit (the API takes 0 as none, as toxiproxy does).
        #expect(throws: ToxicError.self) { try ToxicText.parse(["bandwidth"]) }
        #expect(throws: ToxicError.self) { try ToxicText.parse(["bandwidth", "rate=0KB/s"]) }
        #expect(throws: ToxicError.self) { try ToxicText.parse(["gremlins"]) }
        #expect(ToxicText.render(toxic) == "latency latency=1000ms jitter=20ms upstream toxicity=0.5")
    }
}
