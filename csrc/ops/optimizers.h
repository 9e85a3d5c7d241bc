// The fused optimizer updates: read an optimizer's hyper-parameters and state by name, validate one parameter
// group, then run the optimizer's kernel once over all of it, in place.
#pragma once
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "backend/optimizer_args.h"
#include "core/tensor.h"

namespace pygrad {

// A hyper-parameter as a Python group holds it: a number, a flag or a tuple of numbers (betas).
using HyperValue = std::variant<double, bool, std::vector<double>>;
using HyperValues = std::map<std::string, HyperValue>;
// State slots by name: one tensor (or number) per parameter.
using NamedTensorLists = std::map<std::string, TensorList>;
using NamedScalarLists = std::map<std::string, ScalarList>;

// Updates params[i] and its state in place from grads[i] with the optimizer `name` (a PG_OPTIMIZER of
// op_list.def), bumping their versions; records no graph. hyper holds exactly that optimizer's hyper-parameters;
// tensors and scalars hold its state slots, each with one entry per parameter (a slot the hyper-parameters leave
// unused may be absent); steps[i] is the step parameter i is taking, 1 on its first. Returns the scalar slots,
// updated. A missing or unknown hyper-parameter or slot raises ValueError naming the optimizer and the field.
// Non-contiguous tensors are updated through a contiguous copy.
NamedScalarLists optimizer_step(const std::string& name, const TensorList& params, const TensorList& grads,
                                const std::vector<int64_t>& steps, const HyperValues& hyper,
                                const NamedTensorLists& tensors, NamedScalarLists scalars);

// What an optimizer reads, by name: its hyper-parameters and its state slots, in declaration order.
struct OptimizerFields {
  std::vector<std::string> hyper, state;
};
OptimizerFields optimizer_fields(const std::string& name);
std::vector<std::string> optimizer_names();

}  // namespace pygrad
