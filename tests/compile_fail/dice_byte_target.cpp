// DiceScore given a std::byte target: neither an index map nor one-hot values.
// expected error: tally: DiceScore, MeanIoU and GeneralizedDiceScore target must be integral or
#include <tally/tally.hpp>

#include <cstddef>
#include <vector>

void misuse() {
  const std::vector<int> preds{0, 1};
  const std::vector<std::byte> target{std::byte{0}, std::byte{1}};
  tally::DiceScore::Options o;
  o.num_classes = 2;
  o.input_format = tally::InputFormat::index;
  tally::DiceScore m(o);
  m.update(tally::tensor_view<const int>(preds.data(), tally::Shape{1, 2}),
           tally::tensor_view<const std::byte>(target.data(), tally::Shape{1, 2}));
}
