// The op enum and names, expanded from op_list.def.
#pragma once
#include <cstdint>

namespace pygrad {

enum class OpId : uint16_t {
#define PG_UNARY_OP(name, Functor, kind, doc) name,
#define PG_UNARY_OP_PARAM(name, Functor, kind, doc) name,
#define PG_BINARY_OP(name, Functor, kind, doc) name,
#define PG_OP(name) name,
#define PG_OPTIMIZER(name, Hyper, State) name,
#include "core/op_list.def"
  NumOps
};
constexpr int kNumOps = static_cast<int>(OpId::NumOps);

inline const char* op_name(OpId op) {
  static const char* const names[] = {
#define PG_UNARY_OP(name, Functor, kind, doc) #name,
#define PG_UNARY_OP_PARAM(name, Functor, kind, doc) #name,
#define PG_BINARY_OP(name, Functor, kind, doc) #name,
#define PG_OP(name) #name,
#define PG_OPTIMIZER(name, Hyper, State) #name,
#include "core/op_list.def"
  };
  return names[static_cast<int>(op)];
}

}  // namespace pygrad
