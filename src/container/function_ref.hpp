// A non-owning reference to a callable, for the callbacks the containers run under their
// lock: no allocation, unlike std::function, and cheap enough for the hot get path.
#pragma once

#include <type_traits>
#include <utility>

namespace mproc::core::container {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
  public:
    FunctionRef() noexcept = default;

    template <typename F, typename = std::enable_if_t<
                              !std::is_same_v<std::remove_cv_t<std::remove_reference_t<F>>,
                                              FunctionRef>>>
    FunctionRef(F &&f) noexcept  // NOLINT: implicit, like a function pointer
        : object_(const_cast<void *>(static_cast<const void *>(&f))),
          call_([](void *object, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F> *>(object))(
                  std::forward<Args>(args)...);
          }) {}

    explicit operator bool() const noexcept { return call_ != nullptr; }
    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

  private:
    void *object_ = nullptr;
    R (*call_)(void *, Args...) = nullptr;
};

}  // namespace mproc::core::container
