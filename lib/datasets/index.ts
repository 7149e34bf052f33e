/** Data sets for training and evaluation: identities -> preprocessed images. */
export { countImages, type Dataset, type IdentityImages, type VectorSpec } from './types';
export {
  loadOmniglot, readOmniglotEntries, OMNIGLOT_ALPHABETS, OMNIGLOT_SPLIT, OMNIGLOT_ZIP_PATH,
  type LoadOmniglotOptions, type OmniglotEntry,
} from './omniglot';
export { listFolderImages, loadFolderDataset, type FolderImage } from './folder';
export { loadFashionMnist, parseIdx, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, type FashionMnistOptions } from './fashion-mnist';
