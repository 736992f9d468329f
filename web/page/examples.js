// Example inputs for the page: Vig's sentence pair first, then texts that show other patterns of the two articles.
export const EXAMPLES = [
  { name: 'Vig: the store / strawberries', a: 'I went to the store.', b: 'At the store, I bought fresh strawberries.' },
  { name: 'Vig: the cat / it', a: 'The cat sat on the mat.', b: 'It was tired.' },
  { name: 'Masked word', a: 'The man went to the [MASK] to buy a gallon of milk.', b: '' },
  { name: 'Same word twice', a: 'The dog chased the other dog around the dog park.', b: '' },
  { name: 'Word pieces', a: 'Unaffable antidisestablishmentarianism bewildered the lexicographers.', b: '' },
  { name: 'Clark: a long sentence', a: 'Although the committee had spent months debating the proposal, its members could not agree on how the money, once collected, should be divided among the towns.', b: '' },
];
