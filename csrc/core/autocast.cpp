// Thread-local autocast state storage.
#include "core/autocast.h"

namespace pygrad {

AutocastState& autocast_state() {
  thread_local AutocastState state;
  return state;
}

}  // namespace pygrad
