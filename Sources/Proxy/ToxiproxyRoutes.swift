// toxiproxy's HTTP API, route by route, with its JSON shapes, defaults, error bodies and status
// codes, so its clients (toxiproxy-python, toxiproxy-go, the Testcontainers module) work
// unchanged. Pure: a request in, a response out; ToxiproxyAPI does the sockets.

import Vocabulary
import Foundation

public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var body: [UInt8]
    public var userAgent: String?

    public init(method: String, path: String, body: [UInt8] = [], userAgent: String? = nil) {
        self.method = method
        self.path = path
        self.body = body
        self.userAgent = userAgent
    }
}

public struct APIResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]
    public var contentType = "application/json"

    static func json(_ status: Int, _ object: Any) -> APIResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return APIResponse(status: status, body: Array(data) + [0x0A])
    }

    static func error(_ status: Int, _ message: String) -> APIResponse {
        json(status, ["error": message, "status": status])
    }

    static func error(_ error: ProxyError) -> APIResponse {
        let status: Int
        switch error.kind {
        case .notFound: status = 404
        case .exists: status = 409
        case .invalid: status = 400
        case .listenFailed: status = 500
        }
        return Self.error(status, error.message)
    }

    static let noContent = APIResponse(status: 204, body: [])
}

public enum ToxiproxyRoutes {
    public static let version = "sockfuzz (toxiproxy API 2)"

    public static func respond(to request: APIRequest, using server: ProxyServer) -> APIResponse {
        // toxiproxy refuses browsers, so a web page cannot drive it across origins.
        if request.userAgent?.hasPrefix("Mozilla/") == true {
            return APIResponse(status: 403, body: Array("User agent not allowed\n".utf8), contentType: "text/plain")
        }
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        do throws(ProxyError) {
            switch (request.method, parts.count, parts.first) {
            case ("GET", 1, "version"):
                return APIResponse(status: 200, body: Array("{\"version\": \"\(version)\"}\n".utf8))
            case ("POST", 1, "reset"):
                server.reset()
                return .noContent
            case ("GET", 1, "proxies"):
                var index: [String: Any] = [:]
                for proxy in server.list() { index[proxy.name] = json(proxy) }
                return .json(200, index)
            case ("POST", 1, "proxies"):
                let input = try decode(ProxyInput.self, request.body)
                let proxy = try server.create(name: input.name ?? "", listen: input.listen ?? "",
                                              upstream: input.upstream ?? "", enabled: input.enabled ?? true, framing: nil)
                return .json(201, json(proxy))
            case ("POST", 1, "populate"):
                return populate(request.body, server)
            case ("GET", 2, "proxies"):
                return .json(200, json(try server.get(parts[1])))
            case ("POST", 2, "proxies"), ("PATCH", 2, "proxies"):
                let input = try decode(ProxyInput.self, request.body)
                let proxy = try server.update(name: parts[1], listen: input.listen, upstream: input.upstream, enabled: input.enabled)
                return .json(200, json(proxy))
            case ("DELETE", 2, "proxies"):
                try server.delete(name: parts[1])
                return .noContent
            case ("GET", 3, "proxies") where parts[2] == "toxics":
                return .json(200, try server.get(parts[1]).toxics.map(json))
            case ("POST", 3, "proxies") where parts[2] == "toxics":
                _ = try server.get(parts[1])
                let toxic = try server.addToxic(proxy: parts[1], try toxic(from: request.body))
                return .json(200, json(toxic))
            case ("GET", 4, "proxies") where parts[2] == "toxics":
                guard let toxic = try server.get(parts[1]).toxics.first(where: { $0.name == parts[3] }) else {
                    throw ProxyError(.notFound, "toxic not found")
                }
                return .json(200, json(toxic))
            case ("POST", 4, "proxies") where parts[2] == "toxics", ("PATCH", 4, "proxies") where parts[2] == "toxics":
                let input = try decode(ToxicInput.self, request.body)
                let type = try server.get(parts[1]).toxics.first { $0.name == parts[3] }?.type
                let toxic = try server.updateToxic(proxy: parts[1], name: parts[3],
                                                   attributes: type.map { Self.known(input.attributes ?? [:], of: $0) } ?? [:],
                                                   toxicity: input.toxicity)
                return .json(200, json(toxic))
            case ("DELETE", 4, "proxies") where parts[2] == "toxics":
                try server.removeToxic(proxy: parts[1], name: parts[3])
                return .noContent
            default:
                let known = ["version", "reset", "proxies", "populate"].contains(parts.first ?? "")
                return known ? .error(405, "method \(request.method) not allowed on \(path)") : .error(404, "404 page not found")
            }
        } catch {
            return .error(error)
        }
    }

    // MARK: JSON shapes

    static func json(_ proxy: ProxyInfo) -> [String: Any] {
        ["name": proxy.name, "listen": proxy.listen, "upstream": proxy.upstream, "enabled": proxy.enabled,
         "toxics": proxy.toxics.map(json)]
    }

    static func json(_ toxic: Toxic) -> [String: Any] {
        ["name": toxic.name, "type": toxic.type.rawValue, "stream": toxic.stream.rawValue, "toxicity": toxic.toxicity,
         "attributes": toxic.attributes]
    }

    /// The attributes `type` has: toxiproxy decodes a toxic's JSON into its struct, so a key it
    /// does not have is ignored there, not refused (clients send extra ones).
    static func known(_ attributes: [String: Int64], of type: ToxicType) -> [String: Int64] {
        attributes.filter { key, _ in type.attributes.contains { $0.name == key } }
    }

    /// A toxic from a create request: type required, stream `downstream`, toxicity 1 and the
    /// name `TYPE_STREAM` by default, as toxiproxy does.
    static func toxic(from body: [UInt8]) throws(ProxyError) -> Toxic {
        let input = try decode(ToxicInput.self, body)
        // toxiproxy reads the stream name in any case ("Upstream").
        guard let stream = ToxicStream(rawValue: (input.stream ?? "downstream").lowercased()) else {
            throw ProxyError(.invalid, "stream was invalid, can be either upstream or downstream")
        }
        guard let type = input.type.flatMap(ToxicType.init(rawValue:)) else {
            throw ProxyError(.invalid, "invalid toxic type")
        }
        let name = input.name.flatMap { $0.isEmpty ? nil : $0 }
        do {
            return try Toxic(name: name, type: type, stream: stream, toxicity: input.toxicity ?? 1,
                             attributes: Self.known(input.attributes ?? [:], of: type))
        } catch {
            throw ProxyError(.invalid, error.message)
        }
    }

    private static func populate(_ body: [UInt8], _ server: ProxyServer) -> APIResponse {
        let list: [ProxyInput]
        do throws(ProxyError) {
            list = try decode([ProxyInput].self, body.isEmpty ? Array("[]".utf8) : body)
            for (index, entry) in list.enumerated() {
                guard entry.name?.isEmpty == false else { throw ProxyError(.invalid, "missing required field: name at proxy \(index + 1)") }
                guard entry.upstream?.isEmpty == false else { throw ProxyError(.invalid, "missing required field: upstream at proxy \(index + 1)") }
            }
        } catch {
            // toxiproxy's populate answers with `proxies` whatever happened.
            let failed = APIResponse.error(error)
            return .json(failed.status, ["error": error.message, "status": failed.status, "proxies": [Any]()])
        }
        var created: [[String: Any]] = []
        for entry in list {
            let name = entry.name!, upstream = entry.upstream!, listen = entry.listen ?? ""
            let enabled = entry.enabled ?? true
            do throws(ProxyError) {
                // Kept when it already listens and forwards where asked; replaced otherwise.
                if let existing = try? server.get(name) {
                    if existing.upstream == upstream && (listen.isEmpty || existing.listen == listen) {
                        created.append(json(try server.update(name: name, enabled: enabled)))
                        continue
                    }
                    try server.delete(name: name)
                }
                created.append(json(try server.create(name: name, listen: listen, upstream: upstream, enabled: enabled, framing: nil)))
            } catch {
                let failed = APIResponse.error(error)
                return .json(failed.status, ["error": error.message, "status": failed.status, "proxies": created])
            }
        }
        return .json(201, ["proxies": created])
    }

    // MARK: reading JSON

    struct ProxyInput: Decodable {
        var name: String?
        var listen: String?
        var upstream: String?
        var enabled: Bool?
    }

    struct ToxicInput: Decodable {
        var name: String?
        var type: String?
        var stream: String?
        var toxicity: Double?
        var attributes: [String: Int64]?
    }

    /// An empty body reads as `{}` (toxiproxy-python posts /reset with none).
    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws(ProxyError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body.isEmpty ? Data("{}".utf8) : Data(body))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ProxyError(.invalid, "bad request body: \(field.isEmpty ? "the body" : field) has the wrong type (\(context.debugDescription))")
        } catch {
            throw ProxyError(.invalid, "bad request body: not the JSON expected")
        }
    }
}
