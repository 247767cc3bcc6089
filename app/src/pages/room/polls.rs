//! Polls and quizzes: chat moderators launch and close them and watch results live; everyone
//! votes once and sees the results (and a quiz's answers) when the poll closes.

use leptos::prelude::*;
use room::{PollDraft, PollView};

use super::state::{Intent, RoomUi};
use protocol::ClientMessage;

#[component]
pub fn PollsPanel() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let moderator = move || ui.rights().chat_moderator;
    let newest_first = move || {
        let moderator = moderator();
        let mut polls = ui.polls.get();
        polls.sort_by_key(|p| std::cmp::Reverse(p.id));
        polls
            .into_iter()
            .map(|p| (moderator, p))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="polls" aria-label="Polls">
            <Show when=moderator><NewPoll/></Show>
            <Show when=move || ui.polls.with(Vec::is_empty)>
                <p class="muted">"No polls yet."</p>
            </Show>
            <ol class="poll-list">
                <For each=newest_first key=|(m, p)| (*m, p.id, p.open, p.results.clone(), p.mine.clone()) let((moderator, poll))>
                    <PollItem poll moderator/>
                </For>
            </ol>
        </section>
    }
}

/// Options one per line; correct answers by number ("1, 3"), empty for a poll.
fn parse_correct(text: &str) -> Option<Vec<u8>> {
    text.split([',', ' '])
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<u8>().ok()?.checked_sub(1))
        .collect()
}

#[component]
fn NewPoll() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let question = RwSignal::new(String::new());
    let options = RwSignal::new(String::new());
    let multiple = RwSignal::new(false);
    let correct = RwSignal::new(String::new());
    let launch = move || {
        let Some(correct_answers) = parse_correct(&correct.get_untracked()) else {
            ui.notice.set(Some(
                "Correct answers are option numbers, e.g. 1 or 1, 3.".into(),
            ));
            return;
        };
        let poll = PollDraft {
            question: question.get_untracked(),
            options: options
                .get_untracked()
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
            multiple: multiple.get_untracked(),
            correct: correct_answers,
        };
        ui.act(Intent::Send(ClientMessage::LaunchPoll { poll }));
        question.set(String::new());
        options.set(String::new());
        correct.set(String::new());
    };
    view! {
        <form class="new-poll" aria-label="New poll" on:submit=move |event| { event.prevent_default(); launch(); }>
            <label>"Poll question"
                <input type="text" maxlength=room::MAX_POLL_QUESTION_CHARS.to_string()
                    prop:value=move || question.get() on:input=move |e| question.set(event_target_value(&e))/>
            </label>
            <label>"Options (one per line)"
                <textarea rows="3" prop:value=move || options.get() on:input=move |e| options.set(event_target_value(&e))></textarea>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || multiple.get() on:change=move |e| multiple.set(event_target_checked(&e))/>
                "Allow several answers"
            </label>
            <label>"Correct answers for a quiz (option numbers, optional)"
                <input type="text" prop:value=move || correct.get() on:input=move |e| correct.set(event_target_value(&e))/>
            </label>
            <button type="submit">"Launch poll"</button>
        </form>
    }
}

#[component]
fn PollItem(poll: PollView, moderator: bool) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let id = poll.id;
    let picked = RwSignal::new(Vec::<u8>::new());
    let multiple = poll.multiple;
    let toggle = move |index: u8, on: bool| {
        picked.update(|choices| {
            if !multiple {
                choices.clear();
            }
            choices.retain(|&c| c != index);
            if on {
                choices.push(index);
            }
        })
    };
    let total = poll.voters.unwrap_or(0).max(1);
    let can_vote = poll.open && poll.mine.is_none();
    let input_type = if multiple { "checkbox" } else { "radio" };
    let name = format!("poll-{id}");
    view! {
        <li class="poll" aria-label=poll.question.clone()>
            <p class="question-text">{poll.question.clone()}
                <span class="badge">{if poll.open { "Open" } else { "Closed" }}</span>
                {poll.quiz.then(|| view! { <span class="badge">"Quiz"</span> })}
            </p>
            {can_vote.then(|| view! {
                <form class="vote" on:submit=move |event| {
                    event.prevent_default();
                    let choices = picked.get_untracked();
                    if !choices.is_empty() {
                        ui.act(Intent::Send(ClientMessage::Vote { poll: id, choices }));
                    }
                }>
                    {poll.options.iter().enumerate().map(|(i, option)| {
                        let index = i as u8;
                        view! {
                            <label class="check">
                                <input type=input_type name=name.clone()
                                    on:change=move |e| toggle(index, event_target_checked(&e))/>
                                {option.clone()}
                            </label>
                        }
                    }).collect_view()}
                    <button type="submit">"Vote"</button>
                </form>
            })}
            {poll.mine.clone().map(|mine| {
                let names: Vec<String> = mine.iter().filter_map(|&i| poll.options.get(i as usize).cloned()).collect();
                view! { <p class="muted">{format!("You voted: {}", names.join(", "))}</p> }
            })}
            {poll.results.clone().map(|results| view! {
                <ul class="results" aria-label="Results">
                    {results.iter().zip(&poll.options).enumerate().map(|(i, (count, option))| {
                        let correct = poll.correct.as_ref().is_some_and(|c| c.contains(&(i as u8)));
                        let percent = count * 100 / total;
                        view! {
                            <li class:correct=correct>
                                <span>{option.clone()}{correct.then_some(" ✓")}</span>
                                <meter min="0" max="100" value=percent.to_string()></meter>
                                <span class="count">{format!("{count} ({percent}%)")}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <p class="muted">{format!("{} voted", poll.voters.unwrap_or(0))}</p>
            })}
            {(moderator && poll.open).then(|| view! {
                <button type="button" on:click=move |_| ui.act(Intent::Send(ClientMessage::ClosePoll { poll: id }))>"Close poll"</button>
            })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_correct;

    #[test]
    fn correct_answers_are_one_based_numbers() {
        assert_eq!(parse_correct(""), Some(vec![]));
        assert_eq!(parse_correct("1, 3"), Some(vec![0, 2]));
        assert_eq!(parse_correct("0"), None);
        assert_eq!(parse_correct("a"), None);
    }
}
