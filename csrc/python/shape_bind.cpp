// Bindings of the shape and layout ops (ops/shape_ops.h) as pygrad functions and Tensor methods; the composites
// built on them live in pygrad/_shape.py.
#include "core/error.h"
#include "ops/shape_ops.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {

// Registers fn as pygrad.<name> (listed in _C.__all__).
template <class Fn, class... Extra>
void def_function(py::module_& m, const char* name, Fn fn, const Extra&... extra) {
  m.def(name, fn, extra...);
  public_names().push_back(name);
}

Tensor flip_args(const Tensor& x, const Dims& dims) {
  ReleaseGilIfLarge gil(x.numel());
  return flip(x, dims);
}

Tensor roll_args(const Tensor& x, py::handle shifts, py::handle dims) {
  Dims s = to_shape_sequence(shifts, "roll"), d = to_dims(dims, "roll");
  ReleaseGilIfLarge gil(x.numel());
  return roll(x, s, d);
}

// tril_ / triu_: the triangle written back into self.
py::object triangle_(py::object self, int64_t diagonal, bool lower) {
  const Tensor& t = self.cast<const Tensor&>();
  copy_(t, lower ? tril(t, diagonal) : triu(t, diagonal));
  return self;
}

// clone's memory_format: pygrad.contiguous_format or pygrad.preserve_format (a clone is contiguous either way;
// pygrad has no other dense layouts).
Tensor clone_args(const Tensor& x, py::handle memory_format) {
  if (!memory_format.is_none()) {
    std::string name;
    if (py::hasattr(memory_format, "_name")) name = py::str(memory_format.attr("_name"));
    PG_CHECK(name == "contiguous_format" || name == "preserve_format", ValueError, "clone", "memory_format ",
             std::string(py::str(memory_format)), " is not supported (only contiguous_format and preserve_format)");
  }
  ReleaseGilIfLarge gil(x.numel());
  return clone(x);
}

}  // namespace

void bind_shape(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("Tensor"));

  def_function(
      m, "flip", [](const Tensor& x, py::handle dims) { return flip_args(x, to_shape_sequence(dims, "flip")); },
      py::arg("input"), py::arg("dims"), "A copy with the order of elements reversed along each of dims.");
  cls.def(
      "flip",
      [](const Tensor& x, py::args dims) {
        PG_CHECK(dims.size() > 0, TypeError, "flip", "missing the required argument dims");
        return flip_args(x, to_shape(dims, "flip"));
      },
      "A copy with the order of elements reversed along each of dims.");
  def_function(m, "roll", &roll_args, py::arg("input"), py::arg("shifts"), py::arg("dims") = py::none(),
               "Elements shifted along dims (the flattened tensor when dims is None), wrapping around.");
  cls.def("roll", &roll_args, py::arg("shifts"), py::arg("dims") = py::none());
  m.def(
      "_pad",
      [](const Tensor& x, py::handle pad_list, const std::string& mode, std::optional<double> value) {
        Dims p = to_shape_sequence(pad_list, "pad");
        ReleaseGilIfLarge gil(x.numel());
        return pad(x, p, mode, value);
      },
      py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = py::none());
  def_function(m, "diagonal", &diagonal, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = 0,
               py::arg("dim2") = 1, "The diagonal of the (dim1, dim2) planes as a view, appended as the last dim.");
  cls.def("diagonal", &diagonal, py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  cls.def("unfold", &unfold, py::arg("dimension"), py::arg("size"), py::arg("step"),
          "A view of the windows of `size` elements every `step` along `dimension` (a new last dim).");
  def_function(m, "tril", &tril, py::arg("input"), py::arg("diagonal") = 0,
               "The lower triangle of the last two dims (diagonal > 0 keeps more), the rest zero.");
  cls.def("tril", &tril, py::arg("diagonal") = 0);
  def_function(m, "triu", &triu, py::arg("input"), py::arg("diagonal") = 0,
               "The upper triangle of the last two dims (diagonal < 0 keeps more), the rest zero.");
  cls.def("triu", &triu, py::arg("diagonal") = 0);
  cls.def(
      "tril_", [](py::object self, int64_t diagonal) { return triangle_(std::move(self), diagonal, true); },
      py::arg("diagonal") = 0);
  cls.def(
      "triu_", [](py::object self, int64_t diagonal) { return triangle_(std::move(self), diagonal, false); },
      py::arg("diagonal") = 0);
  def_function(m, "clone", &clone_args, py::arg("input"), py::kw_only(), py::arg("memory_format") = py::none(),
               "A copy of input that does not share its storage (recorded: gradients flow back).");
  cls.def("clone", &clone_args, py::kw_only(), py::arg("memory_format") = py::none());
  // where(condition): the one-argument form, torch.nonzero(condition, as_tuple=True).
  m.def(
      "where",
      [](const Tensor& condition_in) {
        const Tensor condition = condition_in.dim() == 0 ? reshape(condition_in, {1}) : condition_in;  // as torch
        Tensor positions = nonzero(condition);
        py::tuple columns(condition.dim());
        for (int64_t d = 0; d < condition.dim(); ++d) columns[d] = py::cast(select(positions, 1, d));
        return columns;
      },
      py::arg("condition"));
}

}  // namespace pygrad::python
