'use client';
import { callApi } from './api';
import { ProblemBox } from './ui';
import { useApiCall } from './use-api-call';

/**
 * A button that asks `question`, sends DELETE `path`, then goes to `then` (a page path) or reloads
 * (`then` null). A failure shows the problem's title and detail under the button.
 */
export function DeleteButton(props: { label: string; question: string; path: string; then: string | null; className: string; inline?: boolean }) {
  const { hydrated, problem, run } = useApiCall();
  const Wrapper = props.inline ? 'span' : 'div';
  return (
    <Wrapper className={props.inline ? undefined : 'space-y-2'}>
      <button
        type="button"
        className={props.className}
        disabled={!hydrated}
        onClick={async () => {
          if (!window.confirm(props.question)) return;
          await run(
            async () => {
              await callApi(props.path, { method: 'DELETE' });
              if (props.then === null) window.location.reload();
              else window.location.assign(props.then);
            },
            { leaves: true },
          );
        }}
      >
        {props.label}
      </button>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
    </Wrapper>
  );
}
