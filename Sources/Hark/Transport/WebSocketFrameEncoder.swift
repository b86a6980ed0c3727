/// Writes client frames: always masked (RFC 6455 §5.3), with the shortest length encoding.
package enum WebSocketFrameEncoder {
    /// The bytes of one frame carrying `payload`, masked with `mask`.
    ///
    /// The caller gives a fresh random mask per frame (`randomMask()`); tests pass a fixed one.
    package static func encode(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, isFinal: Bool = true, mask: UInt32
    ) -> [UInt8] {
        let length = payload.count
        var bytes = [UInt8]()
        bytes.reserveCapacity(length + 14)
        bytes.append((isFinal ? 0x80 : 0) | opcode.rawValue)
        if length < 126 {
            bytes.append(0x80 | UInt8(length))
        } else if length <= 0xFFFF {
            bytes.append(0x80 | 126)
            bytes.append(UInt8(length >> 8))
            bytes.append(UInt8(length & 0xFF))
        } else {
            bytes.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift)))
            }
        }
        let maskBytes = (0..<4).map { UInt8(truncatingIfNeeded: mask >> UInt32(24 - $0 * 8)) }
        bytes.append(contentsOf: maskBytes)
        let start = bytes.count
        bytes.append(contentsOf: payload)
        applyMask(maskBytes, to: &bytes, from: start)
        return bytes
    }

    /// A close frame's payload: the code in network order, then the UTF-8 reason, cut to fit the
    /// 125-byte control frame limit on a character boundary.
    package static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var reasonBytes = [UInt8]()
        for character in reason {
            let utf8 = Array(String(character).utf8)
            if reasonBytes.count + utf8.count > 123 { break }
            reasonBytes += utf8
        }
        payload += reasonBytes
        return payload
    }

    /// A mask from the system's random source (getrandom), fresh for every frame.
    package static func randomMask() -> UInt32 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// XORs `bytes[from...]` with the repeating 4-byte mask; masking and unmasking are the same.
    package static func applyMask(_ mask: [UInt8], to bytes: inout [UInt8], from start: Int) {
        guard mask.count == 4, start < bytes.count else { return }
        let maskWord = UInt64(mask[0]) | UInt64(mask[1]) << 8 | UInt64(mask[2]) << 16 | UInt64(mask[3]) << 24
        let wide = maskWord | maskWord << 32
        bytes.withUnsafeMutableBytes { raw in
            var index = start
            let end = raw.count
            // Eight bytes at a time: the payload of a large audio message is masked in place.
            while index + 8 <= end {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                raw.storeBytes(of: word ^ wide.littleEndianAdjusted, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            var maskIndex = (index - start) & 3
            while index < end {
                raw[index] ^= mask[maskIndex]
                maskIndex = (maskIndex + 1) & 3
                index += 1
            }
        }
    }
}

extension UInt64 {
    /// `self` as built from little-endian mask bytes, so a native-order XOR matches byte order.
    fileprivate var littleEndianAdjusted: UInt64 { UInt64(littleEndian: self) }
}
