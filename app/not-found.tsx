import { PageHeader } from '@/app/_components/ui';

export default function NotFound() {
  return (
    <PageHeader title="Not found">
      That page or record does not exist (it may have been deleted). <a className="text-blue-700 hover:underline" href="/collections">Back to collections</a>
    </PageHeader>
  );
}
