//! Past sessions of a room: the Sessions tab of a gallery or channel, and one session's chat
//! and Q&A (`/galleries/:id/sessions/:session`, `/channels/:id/sessions/:session`). The server
//! filters what each reader sees; these pages only show it.

use domain::container::format_duration;
use domain::media::{format_utc, PastSession, SessionTranscript, TranscriptLine};
use domain::ContainerKind;
use leptos::prelude::*;
use leptos_meta::Title;

use super::use_number_param;
use crate::api::{load_past_sessions, load_session_transcript};
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn};

/// The Sessions tab's content; loaded when the tab opens (and again when `version` moves).
#[component]
pub fn SessionsPanel(
    container_id: i64,
    kind: ContainerKind,
    version: Signal<u32>,
) -> impl IntoView {
    let list = Resource::new(
        move || version.get(),
        move |_| load_past_sessions(container_id),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) if list.sessions.is_empty() => view! {
                        <p class="hint">"No past sessions yet. The meeting room is always available while it is enabled."</p>
                    }.into_any(),
                    Ok(list) => {
                        let base = format!("{}/sessions", kind.page_path(container_id));
                        view! {
                            <table class="sessions">
                                <caption class="visually-hidden">"Past sessions"</caption>
                                <thead><tr>
                                    <th scope="col">"Started"</th>
                                    <th scope="col">"Ended"</th>
                                    <th scope="col">"Length"</th>
                                    <th scope="col">"Took part"</th>
                                    <th scope="col">"Recording"</th>
                                </tr></thead>
                                <tbody>
                                    {list.sessions.into_iter().map(|s| view! { <SessionRow session=s base=base.clone()/> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice message=error_text(&error)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SessionRow(session: PastSession, base: String) -> impl IntoView {
    let started = format_utc(session.opened_at);
    let label = format!("Session of {started}");
    view! {
        <tr>
            <th scope="row"><a href=format!("{base}/{}", session.id) aria-label=label>{started.clone()}</a></th>
            <td>{format_utc(session.closed_at)}</td>
            <td>{format_duration(session.closed_at - session.opened_at)}</td>
            <td>{session.participants}</td>
            <td><Recordings session/></td>
        </tr>
    }
}

#[component]
fn Recordings(session: PastSession) -> impl IntoView {
    if session.recordings.is_empty() {
        return view! { <span class="hint">"None"</span> }.into_any();
    }
    session
        .recordings
        .into_iter()
        .map(|r| {
            view! {
                <a href=format!("/media/{}", r.media_id)>{r.title}</a>
                " "<span class="badge">{r.status.label()}</span>
            }
        })
        .collect_view()
        .into_any()
}

/// One past session's page.
#[component]
pub fn SessionPage(kind: ContainerKind) -> impl IntoView {
    view! {
        <RequireSignIn>
            <SessionLoader kind/>
        </RequireSignIn>
    }
}

#[component]
fn SessionLoader(kind: ContainerKind) -> impl IntoView {
    let container = use_number_param("id");
    let session = use_number_param("session");
    let transcript = Resource::new(
        move || (container.get(), session.get()),
        |(container, session)| async move {
            match (container, session) {
                (Some(c), Some(s)) => load_session_transcript(c, s).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match transcript.await {
                    Ok(Some(transcript)) => view! { <Transcript transcript/> }.into_any(),
                    Ok(None) => view! { <super::NotFound/> }.into_any(),
                    Err(error) => view! {
                        <Title text="No access"/>
                        <section class="card narrow">
                            <h1>{format!("{} session", kind.noun())}</h1>
                            <ErrorNotice message=error_text(&error)/>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Transcript(transcript: SessionTranscript) -> impl IntoView {
    let session = transcript.session.clone();
    let heading = format!("Session of {}", format_utc(session.opened_at));
    let facts = format!(
        "Ended {} · {} · {} took part",
        format_utc(session.closed_at),
        format_duration(session.closed_at - session.opened_at),
        session.participants
    );
    let questions = transcript.questions;
    view! {
        <Title text=heading.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/">"My media"</a>" › "<a href=transcript.container_path.clone()>{transcript.container_title.clone()}</a>
        </nav>
        <h1>{heading}</h1>
        <p class="meta">{facts}</p>
        <Recordings session/>
        <section aria-labelledby="group-chat">
            <h2 id="group-chat">"Chat"</h2>
            <Lines lines=transcript.group_chat empty="Nobody wrote in the chat."/>
        </section>
        {transcript.backchannel.map(|lines| view! {
            <section aria-labelledby="backchannel">
                <h2 id="backchannel">"Backchannel"</h2>
                <Lines lines empty="The moderators wrote nothing in the backchannel."/>
            </section>
        })}
        <section aria-labelledby="qna">
            <h2 id="qna">"Q&A"</h2>
            {if questions.is_empty() {
                view! { <p class="hint">"No questions you can see."</p> }.into_any()
            } else {
                view! {
                    <ul class="transcript">
                        {questions.into_iter().map(|q| {
                            let state = match (q.answered, q.published) {
                                (true, _) => "Answered",
                                (false, true) => "Published",
                                (false, false) => "To the moderators",
                            };
                            view! {
                                <li>
                                    <p><strong>{q.asker}</strong>" · "{format_utc(q.at)}" · "<span class="badge">{state}</span>
                                       {(q.votes > 0).then(|| format!(" · {} votes", q.votes))}</p>
                                    <p>{q.text}</p>
                                    <Lines lines=q.replies empty=""/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Lines(lines: Vec<TranscriptLine>, empty: &'static str) -> impl IntoView {
    if lines.is_empty() {
        return (!empty.is_empty())
            .then(|| view! { <p class="hint">{empty}</p> })
            .into_any();
    }
    view! {
        <ul class="transcript">
            {lines.into_iter().map(|line| view! {
                <li class:deleted=line.deleted>
                    <strong>{line.author}</strong>" · "{format_utc(line.at)}
                    {line.deleted.then(|| view! { " " <span class="badge warn">"Deleted"</span> })}
                    <p>{line.text}</p>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
