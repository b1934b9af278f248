package script

// ScriptNice is how much lower than gantry's own a script's CPU priority
// is (nice steps). Gantry commits state, sends events to their followers
// and renews its claims while operations run; scripts that take every CPU
// (a layer of a graph starting at once) would otherwise delay all of it
// (docs/performance.md, section 7). An idle gantry takes nothing from
// them: the priority matters only when both want the CPU.
const ScriptNice = 5

// maxNice is the lowest priority there is.
const maxNice = 19

// lowered is a nice value ScriptNice steps below base, at most maxNice.
func lowered(base int) int { return min(base+ScriptNice, maxNice) }

// autogroupFile is where Linux keeps a process's session (autogroup)
// priority: "/autogroup-N nice V" to read, a nice value to write.
const autogroupFile = "/proc/self/autogroup"
