// DiceScore given std::byte preds: neither an index map nor one-hot values nor scores.
// expected error: tally: DiceScore, MeanIoU and GeneralizedDiceScore preds must be integral or
#include <tally/tally.hpp>

#include <cstddef>
#include <vector>

void misuse() {
  const std::vector<std::byte> preds{std::byte{0}, std::byte{1}};
  const std::vector<int> target{0, 1};
  tally::DiceScore::Options o;
  o.num_classes = 2;
  o.input_format = tally::InputFormat::index;
  tally::DiceScore m(o);
  m.update(tally::tensor_view<const std::byte>(preds.data(), tally::Shape{1, 2}),
           tally::tensor_view<const int>(target.data(), tally::Shape{1, 2}));
}
