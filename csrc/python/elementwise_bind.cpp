// Bindings of the torch surface's elementwise ops that take parameters or are composites (the registry binds the
// plain ones): rounding, special functions, div's rounding modes, lerp / addcmul / addcdiv, closeness, clamp_min /
// clamp_max, torch's aliases and the in-place forms.
#include "core/error.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {

// Registers fn as pygrad.<name> (listed in _C.__all__) and Tensor.<name>; a second registration of a name
// (an overload) is not listed again.
template <class Fn, class... Extra>
void def_function_and_method(py::module_& m, py::class_<Tensor>& cls, const char* name, Fn fn, const Extra&... extra) {
  if (!py::hasattr(m, name)) public_names().push_back(name);
  m.def(name, fn, py::arg("input"), extra...);
  cls.def(name, fn, extra...);
}

Tensor operand(py::handle h, const char* op) { return to_operand(h, op); }

// A binary function over Python operands, with the GIL released for large inputs.
template <class Fn>
auto binary(const char* name, Fn fn) {
  return [name, fn](py::handle a, py::handle b) {
    Tensor ta = operand(a, name), tb = operand(b, name);
    ReleaseGilIfLarge gil(std::max(ta.numel(), tb.numel()));
    return fn(ta, tb);
  };
}

Tensor divide(py::handle a, py::handle b, std::optional<std::string> rounding_mode) {
  Tensor ta = operand(a, "div"), tb = operand(b, "div");
  ReleaseGilIfLarge gil(std::max(ta.numel(), tb.numel()));
  return div(ta, tb, rounding_mode);
}

// In place by a registry op: returns the same Python object.
template <OpId Op>
py::object inplace(py::object self, py::handle other) {
  const Tensor& t = self.cast<const Tensor&>();
  Tensor o = operand(other, op_name(Op));
  {
    ReleaseGilIfLarge gil(t.numel());
    binary_inplace(Op, t, o);
  }
  return self;
}

}  // namespace

void bind_elementwise(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("Tensor"));

  // ---- parametrised unary ops
  def_function_and_method(
      m, cls, "round",
      [](const Tensor& x, int64_t decimals) {
        ReleaseGilIfLarge gil(x.numel());
        return round(x, decimals);
      },
      py::kw_only(), py::arg("decimals") = 0);
  def_function_and_method(m, cls, "logit", &logit, py::arg("eps") = py::none());
  def_function_and_method(m, cls, "nan_to_num", &nan_to_num, py::arg("nan") = 0.0, py::arg("posinf") = py::none(),
                          py::arg("neginf") = py::none());
  public_names().push_back("polygamma");
  m.def("polygamma", &polygamma, py::arg("n"), py::arg("input"));
  cls.def("polygamma", [](const Tensor& x, int64_t n) { return polygamma(n, x); }, py::arg("n"));

  // ---- division: rounding modes (an overload of the registry's div) and torch's aliases
  m.def("div", &divide, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode"));
  cls.def(
      "div", [](const Tensor& a, py::handle b, std::optional<std::string> r) { return divide(py::cast(a), b, r); },
      py::arg("other"), py::kw_only(), py::arg("rounding_mode"));
  def_function_and_method(
      m, cls, "divide",
      [](const Tensor& a, py::handle b, std::optional<std::string> r) { return divide(py::cast(a), b, r); },
      py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  def_function_and_method(m, cls, "true_divide",
                          binary("true_divide", [](const Tensor& a, const Tensor& b) { return div(a, b); }),
                          py::arg("other"));
  def_function_and_method(m, cls, "multiply",
                          binary("multiply", [](const Tensor& a, const Tensor& b) { return mul(a, b); }),
                          py::arg("other"));
  def_function_and_method(
      m, cls, "subtract",
      [](py::handle a, py::handle b, py::handle alpha) {
        Tensor ta = operand(a, "subtract"), tb = operand(b, "subtract");
        return sub(ta, alpha.is_none() ? tb : mul(tb, operand(alpha, "subtract")));
      },
      py::arg("other"), py::kw_only(), py::arg("alpha") = py::none());
  def_function_and_method(m, cls, "float_power", binary("float_power", &float_power), py::arg("exponent"));
  def_function_and_method(m, cls, "arctan2",
                          binary("arctan2", [](const Tensor& a, const Tensor& b) { return atan2(a, b); }),
                          py::arg("other"));

  // ---- ternary composites
  def_function_and_method(
      m, cls, "lerp",
      [](const Tensor& start, const Tensor& end, py::handle weight) {
        return lerp(start, end, operand(weight, "lerp"));
      },
      py::arg("end"), py::arg("weight"));
  def_function_and_method(
      m, cls, "addcmul",
      [](const Tensor& x, const Tensor& t1, const Tensor& t2, py::handle value) {
        return addcmul(x, t1, t2, operand(value, "addcmul"));
      },
      py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  def_function_and_method(
      m, cls, "addcdiv",
      [](const Tensor& x, const Tensor& t1, const Tensor& t2, py::handle value) {
        return addcdiv(x, t1, t2, operand(value, "addcdiv"));
      },
      py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);

  // ---- comparison
  def_function_and_method(m, cls, "isclose", &isclose, py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
                          py::arg("equal_nan") = false);
  def_function_and_method(m, cls, "allclose", &allclose, py::arg("other"), py::arg("rtol") = 1e-5,
                          py::arg("atol") = 1e-8, py::arg("equal_nan") = false);
  def_function_and_method(m, cls, "equal", &equal, py::arg("other"));
  def_function_and_method(
      m, cls, "clamp_min",
      [](const Tensor& x, py::handle min) { return clamp(x, operand(min, "clamp_min"), Tensor()); }, py::arg("min"));
  def_function_and_method(
      m, cls, "clamp_max",
      [](const Tensor& x, py::handle max) { return clamp(x, Tensor(), operand(max, "clamp_max")); }, py::arg("max"));
  struct Alias {
    const char* name;
    Tensor (*fn)(const Tensor&, const Tensor&);
  };
  for (Alias alias : {Alias{"greater", &gt}, Alias{"greater_equal", &ge}, Alias{"less", &lt}, Alias{"less_equal", &le},
                      Alias{"not_equal", &ne}}) {
    auto fn = alias.fn;
    def_function_and_method(m, cls, alias.name,
                            binary(alias.name, [fn](const Tensor& a, const Tensor& b) { return fn(a, b); }),
                            py::arg("other"));
  }

  // ---- unary aliases and small composites
  struct UnaryAlias {
    const char* name;
    Tensor (*fn)(const Tensor&);
  };
  for (UnaryAlias alias : {UnaryAlias{"arcsin", &asin}, UnaryAlias{"arccos", &acos}, UnaryAlias{"arctan", &atan},
                           UnaryAlias{"arcsinh", &asinh}, UnaryAlias{"arccosh", &acosh}, UnaryAlias{"arctanh", &atanh},
                           UnaryAlias{"fix", &trunc}, UnaryAlias{"sgn", &sign}, UnaryAlias{"positive", &positive}}) {
    auto fn = alias.fn;
    public_names().push_back(alias.name);
    m.def(alias.name, [fn](const Tensor& x) { return fn(x); }, py::arg("input"));
    cls.def(alias.name, [fn](const Tensor& x) { return fn(x); });
  }

  // ---- in place
  cls.def("floor_divide_", &inplace<OpId::floor_divide>, py::arg("other"));
  cls.def("remainder_", &inplace<OpId::remainder>, py::arg("other"));
  cls.def("fmod_", &inplace<OpId::fmod>, py::arg("other"));
  cls.def("pow_", &inplace<OpId::pow>, py::arg("exponent"));
  cls.def("bitwise_and_", &inplace<OpId::bitwise_and>, py::arg("other"));
  cls.def("bitwise_or_", &inplace<OpId::bitwise_or>, py::arg("other"));
  cls.def("bitwise_xor_", &inplace<OpId::bitwise_xor>, py::arg("other"));
  cls.def("bitwise_left_shift_", &inplace<OpId::bitwise_left_shift>, py::arg("other"));
  cls.def("bitwise_right_shift_", &inplace<OpId::bitwise_right_shift>, py::arg("other"));
  cls.def("__ifloordiv__", &inplace<OpId::floor_divide>);
  cls.def("__imod__", &inplace<OpId::remainder>);
  cls.def("__ipow__", &inplace<OpId::pow>);
  cls.def("__iand__", &inplace<OpId::bitwise_and>);
  cls.def("__ior__", &inplace<OpId::bitwise_or>);
  cls.def("__ixor__", &inplace<OpId::bitwise_xor>);
  cls.def("__ilshift__", &inplace<OpId::bitwise_left_shift>);
  cls.def("__irshift__", &inplace<OpId::bitwise_right_shift>);
}

}  // namespace pygrad::python
