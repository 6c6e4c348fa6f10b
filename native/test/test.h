/* Minimal test framework: TEST(name) { ... } registers a test; CHECK fails it with a message. */
#ifndef IB_TEST_H
#define IB_TEST_H
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn, int needs_kvm);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern int test_failed_now;
extern const char *guest_dir;

#define TEST_(name, kvm) \
  static void test_##name(void); \
  static void reg_##name(void) __attribute__((constructor)); \
  static void reg_##name(void) { test_register(#name, test_##name, kvm); } \
  static void test_##name(void)
#define TEST(name) TEST_(name, 0)
#define KVM_TEST(name) TEST_(name, 1)

#define CHECK(cond, ...) do { if (!(cond)) { test_fail(__FILE__, __LINE__, __VA_ARGS__); return; } } while (0)
/* each side evaluated once (a request in `a` must not run twice to print its result) */
#define CHECK_EQ(a, b) do { \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
    CHECK(check_a_ == check_b_, "%s == %s: %lld != %lld", #a, #b, check_a_, check_b_); \
  } while (0)
#endif
