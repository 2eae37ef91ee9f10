import CYAML

/// The floor of the YAML benchmarks: libyaml's events over each buffer and nothing else, each event
/// deleted as soon as it is read, as `Benchmarks/yaml-floor/yaml_floor.c` does. Returns how many
/// events there were, or nil when libyaml refused a buffer or ran out of memory.
///
/// `sluice-bench yaml-vs-floor` calls it, and scripts/yaml-differential.sh compiles this file into
/// its comparison program too, so both time the same loop.
@inline(never) func libyamlEventCount(_ contents: [[UInt8]]) -> Int? {
    var count = 0
    for bytes in contents {
        let read = bytes.withUnsafeBufferPointer { input -> Bool in
            var parser = yaml_parser_t()
            var event = yaml_event_t()
            guard yaml_parser_initialize(&parser) != 0 else { return false }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, input.baseAddress, input.count)
            while true {
                guard yaml_parser_parse(&parser, &event) != 0 else { return false }
                let end = event.type == YAML_STREAM_END_EVENT
                yaml_event_delete(&event)
                count += 1
                if end { return true }
            }
        }
        guard read else { return nil }
    }
    return count
}
