/// Response header names a config may not set (`http.runscope.headers`): the server
/// writes them for each response, from the body and the connection it is sent on. A
/// fixed value breaks every response of its route, so they are refused when the config
/// is read, with the reason.
///
/// - `Content-Length` and `Transfer-Encoding` frame the body (RFC 9112 §6): a second,
///   different length or a `chunked` the body does not have makes the response
///   unreadable, or read differently by a proxy and a client (response splitting).
/// - `Connection`, `Keep-Alive` and `Proxy-Connection` say whether the connection stays
///   open, which the server decides per request (RFC 9110 §7.6.1): `close` on every
///   answer would end every keep-alive probe connection.
/// - `Upgrade` offers a protocol switch the server never makes, `Trailer` announces
///   trailer fields that never come, and `TE` is a request header: all hop-by-hop
///   (RFC 9110 §7.6.1, §7.8, §6.6.2, §10.1.4), none meaningful on these responses.
enum FramingHeaderNames {
    /// Why `name` (any case) may not be configured; `nil` when it may.
    static func reason(forRefusing name: String) -> String? {
        switch name.lowercased() {
        case "content-length":
            "the server sets the body's length on each response; a configured one would contradict it"
        case "transfer-encoding":
            "the server frames each body itself; a configured transfer coding would misframe every response"
        case "connection", "keep-alive", "proxy-connection":
            "the server decides per request whether the connection stays open; a fixed value would override it"
        case "upgrade":
            "it offers a protocol switch the server never makes"
        case "trailer":
            "it announces trailer fields the server never sends"
        case "te":
            "it is a request header, meaningless in a response"
        default:
            nil
        }
    }
}
