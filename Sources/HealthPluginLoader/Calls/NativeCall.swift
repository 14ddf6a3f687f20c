import CFFI
import HealthPluginABI

/// Calls a check function that takes its declared parameters as C arguments,
/// `int run(const hh_call *, hh_result *, <one C value per parameter>)`, through libffi:
/// the call interface (`ffi_cif`) and the argument values are prepared once, when the
/// check is registered; each call only adds the two per-call pointers. Read-only after
/// `init`, so concurrent calls share it (libffi does not write to a prepared cif).
final class NativeCall: @unchecked Sendable {
    private let cif: UnsafeMutablePointer<ffi_cif>
    /// `ffi_type *` per argument: the two pointers, then one per parameter.
    private let argumentTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    /// One 8-byte slot per parameter holding its C value (pointer, int64, double, bool).
    private let valueSlots: UnsafeMutableRawPointer
    private let parameterCount: Int

    /// Each slot is 8 bytes, 8-aligned: wide enough for every hh_param_type's C type.
    private static let slotSize = 8

    init(arguments: UnsafeBufferPointer<hh_arg>) throws(ArgumentBindingError) {
        let count = arguments.count
        // Everything is prepared in locals and only stored once it worked, so a throw
        // frees exactly what was allocated (no deinit runs for a half-built object).
        let cif = UnsafeMutablePointer<ffi_cif>.allocate(capacity: 1)
        let types = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: count + 2)
        let slots = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * Self.slotSize, alignment: Self.slotSize)
        slots.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, count) * Self.slotSize)
        types[0] = hh_ffi_type_pointer()
        types[1] = hh_ffi_type_pointer()
        for (index, argument) in arguments.enumerated() {
            let slot = slots + index * Self.slotSize
            switch argument.type {
            case HH_PARAM_STRING.rawValue:
                types[index + 2] = hh_ffi_type_pointer()
                slot.storeBytes(of: argument.string_value, as: UnsafePointer<CChar>?.self)
            case HH_PARAM_INT.rawValue:
                types[index + 2] = hh_ffi_type_sint64()
                slot.storeBytes(of: argument.int_value, as: Int64.self)
            case HH_PARAM_DOUBLE.rawValue:
                types[index + 2] = hh_ffi_type_double()
                slot.storeBytes(of: argument.double_value, as: Double.self)
            case HH_PARAM_BOOL.rawValue:
                // C99 `bool` is one byte holding 0 or 1 on every ABI libffi targets here.
                types[index + 2] = hh_ffi_type_uint8()
                slot.storeBytes(of: argument.bool_value ? 1 : 0, as: UInt8.self)
            default:
                Self.release(cif, types, slots)
                throw ArgumentBindingError("argument \(index) has unknown type \(argument.type)")
            }
        }
        let status = ffi_prep_cif(cif, FFI_DEFAULT_ABI, UInt32(count + 2), hh_ffi_type_sint32(), types)
        guard status == FFI_OK else {
            Self.release(cif, types, slots)
            throw ArgumentBindingError("libffi could not prepare the call (ffi_prep_cif returned \(status.rawValue))")
        }
        self.cif = cif
        self.argumentTypes = types
        self.valueSlots = slots
        self.parameterCount = count
    }

    deinit { Self.release(cif, argumentTypes, valueSlots) }

    private static func release(
        _ cif: UnsafeMutablePointer<ffi_cif>, _ types: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>,
        _ slots: UnsafeMutableRawPointer
    ) {
        cif.deallocate()
        types.deallocate()
        slots.deallocate()
    }

    /// Calls `function(call, result, values...)` and returns its `int`.
    func invoke(_ function: hh_check_fn, call: UnsafePointer<hh_call>, result: UnsafeMutablePointer<hh_result>) -> Int32 {
        var callPointer: UnsafePointer<hh_call>? = call
        var resultPointer: UnsafeMutablePointer<hh_result>? = result
        // libffi stores an integral return value in a full `ffi_arg`.
        var returned: ffi_arg = 0
        let target = unsafeBitCast(function, to: (@convention(c) () -> Void).self)
        return withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: parameterCount + 2) { values in
            withUnsafeMutablePointer(to: &callPointer) { callSlot in
                withUnsafeMutablePointer(to: &resultPointer) { resultSlot in
                    values[0] = UnsafeMutableRawPointer(callSlot)
                    values[1] = UnsafeMutableRawPointer(resultSlot)
                    for index in 0..<parameterCount {
                        values[index + 2] = valueSlots + index * Self.slotSize
                    }
                    ffi_call(cif, target, &returned, values.baseAddress)
                    return Int32(truncatingIfNeeded: returned)
                }
            }
        }
    }
}
