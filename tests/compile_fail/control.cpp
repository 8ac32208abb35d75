// Compile-fail harness control: valid uses of everything the other files here misuse, compiled
// with the same command line, where they must compile. Without it, a broken command line (a
// missing include path) would make every compile_fail test fail for the wrong reason, and only
// their message check would notice.
#include <tally/tally.hpp>

#include <array>
#include <cstdint>
#include <vector>

void control() {
  const std::vector<std::uint8_t> labels{0, 1, 1, 0};
  const std::vector<float> probs{0.1f, 0.9f, 0.6f, 0.2f};
  const std::array<std::int32_t, 4> target{0, 1, 0, 0};

  tally::BinaryF1Score f1{tally::Binary::Options{}};
  f1.update(labels, target);  // contiguous ranges
  f1.update(probs, target);   // floating-point scores

  tally::Multiclass::Options mc;
  mc.num_classes = 2;
  tally::MulticlassConfusionMatrix cm(mc);
  cm.update(tally::tensor_view<const float>(probs.data(), tally::Shape{2, 2}),
            tally::tensor_view<const std::uint8_t>(labels.data(), tally::Shape{2}));

  tally::DiceScore::Options dice;
  dice.num_classes = 2;
  dice.input_format = tally::InputFormat::index;
  tally::DiceScore d(dice);
  d.update(tally::tensor_view<const std::uint8_t>(labels.data(), tally::Shape{2, 2}),
           tally::tensor_view<const std::int32_t>(target.data(), tally::Shape{2, 2}));
}
