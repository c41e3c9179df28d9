"""The fleet store in Redis, one module per concern; `fleet.read_model.ReadModel` composes them.

- `keys`: the Redis key layout (every key name is spelled there)
- `values`: how times, rows and names are encoded
- `scripts`: the Lua scripts under fleet/lua, loaded once per client
- `indexes`: what one device's index memberships derive from, and the derived indexes
- `current`: the pointer to the current generation
- `queries`: list queries, their plan and its execution
- `lookups`: reads of one device, and of the types, firmware and serials present
- `writes`: pages of a new generation, and in-place writes of devices
- `snapshots`: building and publishing a generation, and retiring old ones
- `history`: status transitions, Up/Down counts, flapping
- `health`: the pollers' health records
- `profiles`: the connection-profile snapshot and kept profile records
"""
