// AppError's `instanceof` across module copies: Next bundles the route handlers apart from the
// server that starts the runtime, so an error thrown by one copy of lib/errors.ts (the embedding
// worker pool's face refusal) reaches the status table of another. Two copies are made here with
// vi.resetModules, as the two module graphs are in production.
import { describe, expect, it, vi } from 'vitest';

async function copies() {
  const a = await import('@/lib/errors');
  const faces = await import('@/lib/faces/prepare');
  vi.resetModules();
  const b = await import('@/lib/errors');
  const problem = await import('@/lib/http/problem');
  return { a, b, faces, problem };
}

describe('AppError across module copies', () => {
  it('makes two distinct copies (the premise of the test)', async () => {
    const { a, b } = await copies();
    expect(a.AppError).not.toBe(b.AppError);
  });

  it('recognises an error of one copy as an instance of the other copy, class by class', async () => {
    const { a, b, faces } = await copies();
    const refused = new faces.FaceRefusedError('no_face', 'no face found');
    expect(refused).toBeInstanceOf(b.AppError);
    expect(refused).toBeInstanceOf(b.InputError);
    expect(refused).not.toBeInstanceOf(b.NotFoundError);
    expect(new a.NotReadyError('starting', 'x')).toBeInstanceOf(b.NotReadyError);
    expect(new a.NotReadyError('starting', 'x')).not.toBeInstanceOf(b.InputError);
    expect(new a.InvariantError('x')).toBeInstanceOf(b.AppError);
    expect(new Error('plain')).not.toBeInstanceOf(b.AppError);
    expect(null).not.toBeInstanceOf(b.AppError);
  });

  it('keeps a subclass without its own kind to the prototype check', async () => {
    const { a } = await copies();
    class Local extends a.InputError {}
    expect(new a.InputError('x', 'y')).not.toBeInstanceOf(Local);
    expect(new Local('x', 'y')).toBeInstanceOf(Local);
    expect(new Local('x', 'y')).toBeInstanceOf(a.InputError);
  });

  it("maps another copy's face refusal to its 422, not to 500", async () => {
    const { faces, problem } = await copies();
    const p = problem.toProblem(new faces.FaceRefusedError('face_too_small', 'face is 31 px'), 'req-1');
    expect(p).toMatchObject({ status: 422, code: 'face_too_small', detail: 'face is 31 px' });
  });
});
